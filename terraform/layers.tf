# Layers built by layers/build.py (python/… like AWS; the ml layer also ships lib/libgomp.so.1).
resource "aws_lambda_layer_version" "this" {
  for_each = toset(distinct(flatten(values(local.function_layers))))

  layer_name               = "${var.project}-${each.key}"
  description              = "${var.project} ${each.key} layer (layers/${each.key})"
  filename                 = "${local.build_dir}/layers/${each.key}.zip"
  source_code_hash         = filebase64sha256("${local.build_dir}/layers/${each.key}.zip")
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = ["x86_64"]
}
