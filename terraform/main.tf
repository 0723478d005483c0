data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  build_dir = coalesce(var.build_dir, abspath("${path.module}/../build"))

  # One definition of each function's layers, shared with the build's size tests.
  function_layers = jsondecode(file("${path.module}/../layers/functions.json")).functions
  function_names  = { for name in keys(local.function_layers) : name => "${var.project}-${name}" }

  data_bucket_name = coalesce(var.data_bucket_name, "${var.project}-data")

  # Prefixes of the data bucket: who writes what (see README.md).
  data_prefixes = {
    raw           = "raw/"           # uploads (CSV), immutable; ObjectCreated triggers ingest
    processed     = "processed/"     # validated, cleaned Parquet written by ingest
    quarantine    = "quarantine/"    # rejected rows/files + machine-readable reason
    manifests     = "manifests/"     # one per ingested file: source key, ETag/version, counts
    predictions   = "predictions/"   # prediction log written by predict
    feedback      = "feedback/"      # true labels sent back through the API
    batch         = "batch/"         # batch prediction inputs
    batch_results = "batch-results/" # batch prediction outputs
    batch_parts   = "batch-parts/"   # a split batch file's parts' outputs, until merged
    monitoring    = "monitoring/"    # monitor reports, retrain cooldown markers
  }
}
