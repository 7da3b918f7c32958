package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/overduehq/overdue/internal/check"
)

// SESClient is the part of the SES v2 client the email transport uses. *sesv2.Client has it;
// build one per process, in main.
type SESClient interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SNSClient is the part of the SNS client the SMS and topic transports use. *sns.Client has it.
type SNSClient interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SESConfig configures the SES email transport.
type SESConfig struct {
	// From is the sender, an address or "Name <address>" on an identity verified in SES.
	From string
	// ConfigurationSet names an SES configuration set (event publishing, suppression); optional.
	ConfigurationSet string
}

// SES sends email channels through SES v2 SendEmail: simple content, a text and an HTML part.
//
// MessageRejected about the recipient (in the SES sandbox: not verified) and BadRequest (a
// malformed address) are permanent. MessageRejected about our own sender, throttling, sending
// paused and service errors are transient: they are our configuration or the service's state,
// not the channel's fault, and must not disable every email channel at once.
type SES struct {
	client SESClient
	from   string
	sender string // the bare address of from, to recognise errors about it
	cfgSet string
}

// NewSES returns the SES email transport. It does no I/O.
func NewSES(client SESClient, cfg SESConfig) (*SES, error) {
	a, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SES: the sender %q is not an email address", cfg.From)
	}
	return &SES{client: client, from: cfg.From, sender: strings.ToLower(a.Address), cfgSet: cfg.ConfigurationSet}, nil
}

// Send sends the email.
func (s *SES) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &sestypes.Destination{ToAddresses: []string{ch.Value}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
			},
			Headers: []sestypes.MessageHeader{{Name: aws.String(DeliveryHeader), Value: aws.String(deliveryID)}},
		}},
	}
	if s.cfgSet != "" {
		in.ConfigurationSetName = aws.String(s.cfgSet)
		// The configuration set publishes bounces and complaints; the tags say whose they are
		// (ParseSESFeedback).
		in.EmailTags = []sestypes.MessageTag{
			{Name: aws.String(SESTagProject), Value: aws.String(ch.ProjectID)},
			{Name: aws.String(SESTagChannel), Value: aws.String(ch.ID)},
		}
	}
	_, err := s.client.SendEmail(ctx, in)
	if err == nil {
		return nil
	}
	err = awsErr("SES", err)
	var rejected *sestypes.MessageRejected
	var bad *sestypes.BadRequestException
	switch {
	case errors.As(err, &rejected):
		if strings.Contains(strings.ToLower(rejected.ErrorMessage()), s.sender) {
			return err // our sender is not verified: fix the configuration, then it goes out
		}
		return Permanent(err)
	case errors.As(err, &bad):
		return Permanent(err)
	}
	return err
}

// SMS sends SMS channels through SNS Publish to a phone number, as transactional messages (the
// SMS type AWS routes for reliability rather than cost).
//
// InvalidParameter (not a valid E.164 number) and OptedOut are permanent; anything else is
// transient.
type SMS struct {
	client SNSClient
}

// NewSMS returns the SMS transport. It does no I/O.
func NewSMS(client SNSClient) *SMS { return &SMS{client: client} }

// Send sends the SMS.
func (s *SMS) Send(ctx context.Context, ch *check.Channel, m *Message, _ string) error {
	_, err := s.client.Publish(ctx, &sns.PublishInput{
		PhoneNumber: aws.String(ch.Value),
		Message:     aws.String(m.SMS),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"AWS.SNS.SMS.SMSType": stringAttr("Transactional"),
		},
	})
	if err == nil {
		return nil
	}
	err = awsErr("SNS", err)
	var (
		invalid  *snstypes.InvalidParameterException
		value    *snstypes.InvalidParameterValueException
		optedOut *snstypes.OptedOutException
	)
	if errors.As(err, &invalid) || errors.As(err, &value) || errors.As(err, &optedOut) {
		return Permanent(err)
	}
	return err
}

// Topic publishes to SNS topic channels: the Event as a JSON message, with message attributes
// subscribers can filter on (status "up"/"down", check, project, delivery), in the topic's own
// region.
//
// A topic that does not exist, does not let us publish, or whose KMS key is unusable is
// permanent: only its owner can fix it. Throttling and service errors are transient.
type Topic struct {
	client SNSClient
}

// NewTopic returns the SNS topic transport. It does no I/O.
func NewTopic(client SNSClient) *Topic { return &Topic{client: client} }

// Send publishes the event.
func (t *Topic) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	body, err := m.JSON(deliveryID)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	var opts []func(*sns.Options)
	if parts := strings.Split(ch.Value, ":"); len(parts) == 6 && parts[3] != "" {
		region := parts[3]
		opts = append(opts, func(o *sns.Options) { o.Region = region })
	}
	_, err = t.client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(ch.Value),
		Message:  aws.String(string(body)),
		Subject:  aws.String(snsSubject(m.Subject)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"status":   stringAttr(m.Event.Check.Status),
			"check":    stringAttr(m.Event.Check.UUID),
			"project":  stringAttr(ch.ProjectID),
			"delivery": stringAttr(deliveryID),
		},
	}, opts...)
	if err == nil {
		return nil
	}
	err = awsErr("SNS", err)
	var (
		invalid   *snstypes.InvalidParameterException
		value     *snstypes.InvalidParameterValueException
		notFound  *snstypes.NotFoundException
		denied    *snstypes.AuthorizationErrorException
		kmsDenied *snstypes.KMSAccessDeniedException
		kmsOff    *snstypes.KMSDisabledException
		kmsState  *snstypes.KMSInvalidStateException
		kmsGone   *snstypes.KMSNotFoundException
		kmsOptIn  *snstypes.KMSOptInRequired
	)
	if errors.As(err, &invalid) || errors.As(err, &value) || errors.As(err, &notFound) || errors.As(err, &denied) ||
		errors.As(err, &kmsDenied) || errors.As(err, &kmsOff) || errors.As(err, &kmsState) ||
		errors.As(err, &kmsGone) || errors.As(err, &kmsOptIn) {
		return Permanent(err)
	}
	return err
}

func stringAttr(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// snsSubject makes s a valid SNS subject: printable ASCII, at most 100 characters.
func snsSubject(s string) string {
	b := []byte(strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, s))
	if len(b) > 100 {
		b = b[:100]
	}
	return string(b)
}

// awsError is an SDK error shortened to the service, code and message: the SDK's own text
// carries request IDs and HTTP details that crowd out the reason in a 200-character LastError.
type awsError struct {
	msg string
	err error
}

func (e *awsError) Error() string { return e.msg }
func (e *awsError) Unwrap() error { return e.err }

func awsErr(service string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &awsError{msg: fmt.Sprintf("%s %s: %s", service, ae.ErrorCode(), ae.ErrorMessage()), err: err}
	}
	return err
}
