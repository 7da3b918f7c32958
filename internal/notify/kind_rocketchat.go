package notify

// rocketChatKind posts to a Rocket.Chat incoming webhook: the value is the webhook URL
// (https://chat.example.org/hooks/<id>/<token>). Rocket.Chat takes the same Slack-style
// attachment as Mattermost (attachmentPayload).
var rocketChatKind = &kind{
	name:     "rocketchat",
	title:    "Rocket.Chat",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("rocketchat", "", v, "https://chat.example.org/hooks/xxxx/yyyy")
	},
	request: func(c call) (outgoing, error) { return postJSON(c.Value, attachmentPayload(c.Card)) },
}
