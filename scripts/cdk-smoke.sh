#!/usr/bin/env bash
# Deploys the dev stage into moto_server (the AWS emulator) the way a team deploys it into AWS:
# `cdk bootstrap`, `cdk deploy Overdue-dev`, and `cdk diff` (which must find nothing left to
# change); then checks through the AWS CLI that the table, the five functions, the three
# schedules (sweep, notification retries, reports), the stream subscription with its filter and
# dead-letter queue, the log groups, the ops topic and the SES feedback topic exist as
# configured. Set SMOKE_TRACE=1 to
# see when each cdk step starts.
#
# Uses the moto that ./scripts/with-moto.sh started (OVERDUE_MOTO_URL), or starts one.
# What moto cannot show (it skips every AWS::ApiGatewayV2 resource and the CloudWatch alarms,
# ignores TTL, point-in-time recovery and the arm64 architecture, and never runs a function)
# is covered by the assertion tests in infra/; the functions are placeholders here.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${OVERDUE_MOTO_URL:-}" ]; then
  exec ./scripts/with-moto.sh "$0" "$@"
fi
scripts/prereqs.sh go node npm aws || exit 1
# shellcheck source=scripts/cdk-env.sh
source scripts/cdk-env.sh
cdk_cli_ready
started=$(date +%s)

# moto serves CloudFormation's change-set template URLs only under the host name localhost
# (with 127.0.0.1 the deploy fails with "The specified bucket does not exist").
port=${OVERDUE_MOTO_URL##*:}
export AWS_ENDPOINT_URL="http://localhost:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION
account=123456789012 # moto's account
stage=dev
stack=Overdue-$stage
table=overdue-$stage-v1

dist=$(mktemp -d -t overdue-dist.XXXXXX)
log=$(mktemp -t overdue-cdk-smoke.XXXXXX.log)
trap 'rm -rf "$dist" "$log"' EXIT
fake_dist "$dist"
go build -o .cache/infra-app ./infra

# moto's CloudFormation has no model of AWS::SecretsManager::Secret or of API Gateway v2: it
# skips them, and a reference to a skipped resource resolves to nothing (an IAM statement
# without a resource, an environment variable without a value). So the deploy here uses two
# stage settings a team may use too: an existing signing secret (created below, as an
# install moved from `overdue serve` would bring its key) and a fixed site root. It has no model
# of AWS::Lambda::Alias either (the deploy skips it, and describe-stack-resources then fails with
# HTTP 500), so the smoke stage turns the functions' live aliases off ("aliases": false): callers
# invoke the functions directly; the assertion tests in infra/ cover the aliases.
secret=$(aws secretsmanager create-secret --name "overdue-smoke-$$-$(date +%s)" \
  --secret-string smoke-test-signing-key-not-secret --query ARN --output text)
settings="{\"$stage\": {\"emailFrom\": \"alerts@example.org\", \"signingSecretArn\": \"$secret\", \"siteRoot\": \"https://overdue.invalid\", \"aliases\": false}}"

quiet() { # runs a command, showing its output only when it fails
  [ -z "${SMOKE_TRACE:-}" ] || echo "cdk-smoke: $(date +%T) $1 $2" >&2
  if ! "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "cdk-smoke: FAIL: $*" >&2
    exit 1
  fi
}
# Both synthesize the app (bootstrap too, for its context), so both get the stage's settings.
# migrate=false: moto cannot invoke a function, so the migrate custom resource would fail here;
# the assertion tests in infra/ cover it.
app=(--app .cache/infra-app -o cdk.out/smoke --no-notices -c stage="$stage" -c dist="$dist" -c stages="$settings" -c migrate=false)
quiet cdk bootstrap "aws://$account/us-east-1" "${app[@]}"
quiet cdk deploy "$stack" "${app[@]}" --require-approval never
# What `make diff` runs: after the deploy there must be nothing left to change. Template
# method: moto answers the change-set method's DeleteChangeSet with an HTML error after about
# 40 s, and the CLI then falls back to comparing templates anyway.
quiet cdk diff "$stack" "${app[@]}" --fail --method=template
deployed=$(date +%s)

failures=0
fail() { echo "cdk-smoke: FAIL: $*" >&2; failures=$((failures + 1)); }
expect() { # description, want, got
  if [ "$2" != "$3" ]; then fail "$1: got '$3', want '$2'"; else echo "cdk-smoke: ok: $1: $3"; fi
}
awsq() { aws "$@" --output text; }

# UPDATE_COMPLETE when OVERDUE_MOTO_URL names a moto that holds an earlier run's stack.
status=$(awsq cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus')
case "$status" in
CREATE_COMPLETE | UPDATE_COMPLETE) echo "cdk-smoke: ok: stack status: $status" ;;
*) fail "stack status: got '$status', want CREATE_COMPLETE or UPDATE_COMPLETE" ;;
esac

# The table, by its physical name: the one name the stack types, overdue-<stage>-v<generation>.
read -r status view stream <<<"$(awsq dynamodb describe-table --table-name "$table" \
  --query 'Table.[TableStatus, StreamSpecification.StreamViewType, LatestStreamArn]')"
expect "table" ACTIVE "$status"
expect "table stream" NEW_AND_OLD_IMAGES "$view"
expect "table indexes" "bucket due project unprocessed" \
  "$(awsq dynamodb describe-table --table-name "$table" --query 'sort(Table.GlobalSecondaryIndexes[].IndexName)' | tr '\t' ' ')"

# Everything else by what the stack created: no physical name is typed in the stack.
resource() { # type -> physical IDs, one per line
  awsq cloudformation describe-stack-resources --stack-name "$stack" \
    --query "StackResources[?ResourceType=='$1'].PhysicalResourceId" | tr '\t' '\n'
}
functions=$(resource AWS::Lambda::Function)
expect "functions" 5 "$(grep -c . <<<"$functions")"
sweep=""
notify=""
timer=""
reports=""
arns=""
for fn in $functions; do
  cfg=$(awsq lambda get-function-configuration --function-name "$fn" \
    --query '[Runtime, Handler, Environment.Variables.TABLE_NAME, FunctionArn, Description]')
  read -r runtime handler table_env arn _ <<<"$cfg"
  arns="$arns $fn=$arn"
  expect "$fn runtime" provided.al2023 "$runtime"
  expect "$fn handler" bootstrap "$handler"
  expect "$fn TABLE_NAME" "$table" "$table_env"
  case "$cfg" in
  *"overdue checks"*) sweep=$fn ;;
  *"delivers flips"*) notify=$fn ;;
  *"timer queue"*) timer=$fn ;;
  *"reports and reminders"*) reports=$fn ;;
  esac
done
[ -n "$sweep" ] || fail "no sweep function among: $functions"
[ -n "$notify" ] || fail "no notify function among: $functions"
[ -n "$timer" ] || fail "no timer function among: $functions"
[ -n "$reports" ] || fail "no reports function among: $functions"

# Three schedules: the sweep and the notifier's retry of failed sends each minute, the reports
# every five minutes.
rules=$(resource AWS::Events::Rule)
expect "rules" 3 "$(grep -c . <<<"$rules")"
targets=""
schedules=""
for rule in $rules; do
  schedules="$schedules$(awsq events describe-rule --name "$rule" --query ScheduleExpression)
"
  targets="$targets $(awsq events list-targets-by-rule --rule "$rule" --query 'Targets[0].Arn')"
done
expect "schedules" "rate(1 minute) rate(1 minute) rate(5 minutes)" "$(grep . <<<"$schedules" | sort | tr '\n' ' ' | sed 's/ $//')"
for fn in "$sweep" "$notify" "$reports"; do
  arn=$(tr ' ' '\n' <<<"$arns" | sed -n "s|^$fn=||p")
  case "$targets " in
  *" $arn "*) echo "cdk-smoke: ok: a rule invokes $fn" ;;
  *) fail "no rule invokes $fn; targets:$targets" ;;
  esac
done

esm() { awsq lambda list-event-source-mappings --function-name "$notify" --query "EventSourceMappings[0].$1"; }
expect "notify reads the table's stream" "$stream" "$(esm EventSourceArn)"
expect "stream filter" '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"FLIP#"}]}}},"eventName":["INSERT"]}' \
  "$(esm 'FilterCriteria.Filters[0].Pattern')"
expect "bisect, retries" "True	10" "$(esm '[BisectBatchOnFunctionError, MaximumRetryAttempts]')"
queues=$(resource AWS::SQS::Queue) # their URLs: notify's dead letters, the timers and theirs
expect "queues" 3 "$(grep -c . <<<"$queues")"
dlq_arn=$(esm DestinationConfig.OnFailure.Destination)
expect "dead-letter queue" 1 "$(grep -c "/${dlq_arn##*:}\$" <<<"$queues")"
# Precise timers: the sweep sends to the queue the timer function reads.
timer_queue=$(awsq lambda get-function-configuration --function-name "$sweep" --query Environment.Variables.TIMER_QUEUE_URL)
expect "sweep and timer function share the timer queue" "$timer_queue" \
  "$(awsq lambda get-function-configuration --function-name "$timer" --query Environment.Variables.TIMER_QUEUE_URL)"
expect "timer queue is the stack's" 1 "$(grep -c "/${timer_queue##*/}\$" <<<"$queues")"
timer_arn=$(awsq lambda list-event-source-mappings --function-name "$timer" --query 'EventSourceMappings[0].EventSourceArn')
expect "timer function reads the timer queue" "${timer_queue##*/}" "${timer_arn##*:}"
# The five functions' log groups and the API's access logs.
expect "log retention (days)" "14 14 14 14 14 14" \
  "$(awsq logs describe-log-groups --log-group-name-prefix "$stack-" --query 'logGroups[].retentionInDays' | tr '\t' ' ')"
topics=$(resource AWS::SNS::Topic)
topic=$(grep AlarmsTopic <<<"$topics" || true)
expect "ops topic" "$topic" "$(awsq sns get-topic-attributes --topic-arn "$topic" --query Attributes.TopicArn)"
# SES bounces and complaints reach notify through the feedback topic (moto skips the SES
# configuration set that publishes to it and the topic's subscription; infra/ tests cover them).
feedback=$(grep SesFeedback <<<"$topics" || true)
expect "SES feedback topic" "$feedback" "$(awsq sns get-topic-attributes --topic-arn "$feedback" --query Attributes.TopicArn)"

echo "cdk-smoke: bootstrap, deploy and diff $((deployed - started)) s, checks $(($(date +%s) - deployed)) s"
if [ "$failures" -gt 0 ]; then
  echo "cdk-smoke: $failures checks failed" >&2
  exit 1
fi
echo "cdk-smoke: $stack deployed into moto and checked"
