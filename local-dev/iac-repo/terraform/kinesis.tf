# Kinesis data streams. Encryption uses the AWS managed key unless noted.

resource "aws_kinesis_stream" "clickstream" {
  name             = "clickstream"
  shard_count      = 8 # one per web frontend, from the 2024 launch
  retention_period = 72
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }

  tags = {
    team = "web"
  }
}

resource "aws_kinesis_stream" "payments_events" {
  name             = "payments-events"
  shard_count      = 2
  retention_period = 48
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  tags = {
    team = "payments"
  }
}

resource "aws_kinesis_stream" "audit_log" {
  name = "audit-log"
  # Four shards cover the nightly compliance export.
  shard_count      = 4
  retention_period = 24
  encryption_type  = "NONE"

  tags = {
    team = "security"
  }
}

resource "aws_kinesis_stream" "orders_cdc" {
  provider = aws.us_east_1

  name             = "orders-cdc"
  retention_period = 168
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  tags = {
    team = "orders"
  }
}
