// RUN: weft-opt %s --weft-entry-points --weft-bind-variables --split-input-file --verify-diagnostics

// A function that reads a variable gets the buffers from its callers, so
// every caller must be an entry point, which holds them.

weft.parameter @w : tensor<2xf32> {fan_in = 2 : i64, init = "uniform_fan_in"}

func.func private @reads_w() -> tensor<2xf32> {
  %w = weft.load @w : tensor<2xf32>
  return %w : tensor<2xf32>
}

func.func @forward(%x: tensor<?x2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'func.call' op uses a function that reads model variables; only entry points may call such a function}}
  %w = func.call @reads_w() : () -> tensor<2xf32>
  return %w : tensor<2xf32>
}
