//===- Predict.h - Classifying images and IDX entries -----------*- C++ -*-===//

#ifndef WEFT_RUNTIME_PREDICT_H
#define WEFT_RUNTIME_PREDICT_H

#include "runtime/Dataset.h"
#include "runtime/Model.h"

#include <string>
#include <vector>

namespace weft {

/// Loads `weightsPath` and prints, for each input, the predicted class and
/// the class probabilities. An input is a PNG or JPEG file (converted and
/// resized to the model's input, scaled as the model's data is), or an IDX
/// image file: all its entries, `FILE:K` for entry K, or `FILE:A-B` for
/// entries A to B. Class names come from the checkpoint (image folder
/// names) or are the class numbers.
int predict(Model &model, const std::string &weightsPath,
            const std::vector<std::string> &inputs, const DataSpec &data);

} // namespace weft

#endif // WEFT_RUNTIME_PREDICT_H
