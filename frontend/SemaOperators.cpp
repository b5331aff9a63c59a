//===- SemaOperators.cpp - Layers and functions: arguments and shapes -----===//
//
// One table says what every layer and function accepts; one resolver reads
// arguments into a LayerConfig; one function applies shape rules. A layer
// (`MaxPool2D(2)`) and the matching function (`max_pool(x, 2)`) share all
// three. Window arithmetic comes from dialects/weft/IR/ShapeRules.h, the same
// rules the weft dialect verifies.
//
//===----------------------------------------------------------------------===//

#include "frontend/SemaImpl.h"

#include "dialects/weft/IR/ShapeRules.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Casting.h"

using namespace weft;
using namespace weft::ast;
using namespace weft::sema;
using llvm::dyn_cast;

namespace {

const std::vector<std::string> kWindow{"stride", "padding"};
const std::vector<std::string> kActivations{
    "relu",    "sigmoid",     "tanh", "gelu",
    "softmax", "log_softmax", "leaky_relu", "none"};

const OperatorSpec kOperators[] = {
    // Layers.
    {"Dense", "dense", true, true, {"units"}, {"activation", "use_bias"}},
    {"Conv2D", "conv2d", true, true, {"filters", "kernel"},
     {"stride", "padding", "dilation", "groups", "use_bias", "activation"}},
    {"MaxPool2D", "max_pool", true, false, {"size"}, kWindow},
    {"AvgPool2D", "avg_pool", true, false, {"size"}, kWindow},
    {"GlobalAvgPool", "global_avg_pool", true, false, {}, {}},
    {"Flatten", "flatten", true, false, {}, {}},
    {"Reshape", "reshape", true, false, {"shape"}, {}},
    {"Dropout", "dropout", true, false, {"rate"}, {}},
    {"BatchNorm2D", "batch_norm2d", true, true, {}, {"momentum", "eps"}},
    // Functions; their first argument is the input.
    {"max_pool", "max_pool", false, false, {"size"}, kWindow},
    {"avg_pool", "avg_pool", false, false, {"size"}, kWindow},
    {"global_avg_pool", "global_avg_pool", false, false, {}, {}},
    {"flatten", "flatten", false, false, {}, {}},
    {"reshape", "reshape", false, false, {"shape"}, {}},
    {"dropout", "dropout", false, false, {"rate"}, {}},
    {"relu", "relu", false, false, {}, {}},
    {"sigmoid", "sigmoid", false, false, {}, {}},
    {"tanh", "tanh", false, false, {}, {}},
    {"gelu", "gelu", false, false, {}, {}},
    {"softmax", "softmax", false, false, {}, {}},
    {"log_softmax", "log_softmax", false, false, {}, {}},
    {"leaky_relu", "leaky_relu", false, false, {}, {"negative_slope"}},
};

} // namespace

std::string weft::sema::didYouMean(llvm::StringRef name,
                                   const std::vector<std::string> &candidates) {
  std::string best;
  unsigned bestDistance = std::max<unsigned>(2, name.size() / 3) + 1;
  for (const std::string &c : candidates) {
    unsigned d = name.edit_distance(c, true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

std::string weft::sema::joinNames(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

const OperatorSpec *weft::sema::lookupOperator(llvm::StringRef name,
                                               bool layer) {
  for (const OperatorSpec &spec : kOperators)
    if (spec.isLayer == layer && name == spec.name)
      return &spec;
  return nullptr;
}

std::vector<std::string> weft::sema::operatorNames(bool layers) {
  std::vector<std::string> names;
  for (const OperatorSpec &spec : kOperators)
    if (spec.isLayer == layers)
      names.push_back(spec.name);
  return names;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

std::optional<int64_t> Sema::positiveInt(const Expr &e, const char *what) {
  std::optional<int64_t> v = constInt(e, what);
  if (v && *v < 1) {
    diag.error(e.range, std::string(what) + " must be positive, got " +
                            std::to_string(*v));
    return std::nullopt;
  }
  return v;
}

/// An integer used for both spatial dimensions, or a list `[h, w]`.
bool Sema::pairOf(const Expr &e, const char *what, int64_t minimum,
                  int64_t out[2]) {
  std::vector<const Expr *> items{&e, &e};
  if (auto *list = dyn_cast<ListExpr>(&e)) {
    if (list->elements.size() != 2) {
      diag.error(e.range, std::string(what) + " takes one number or two, "
                                              "[height, width]");
      return false;
    }
    items = {list->elements[0].get(), list->elements[1].get()};
  }
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> v = constInt(*items[i], what);
    if (!v)
      return false;
    if (*v < minimum) {
      diag.error(items[i]->range, std::string(what) + " must be at least " +
                                      std::to_string(minimum) + ", got " +
                                      std::to_string(*v));
      return false;
    }
    out[i] = *v;
  }
  return true;
}

bool Sema::resolveArguments(const OperatorSpec &spec, const CallExpr &call,
                            const std::vector<const Expr *> &args,
                            LayerConfig &config) {
  std::vector<std::string> names(spec.positional);
  names.insert(names.end(), spec.keywords.begin(), spec.keywords.end());
  unsigned errorsBefore = diag.errorCount();
  bool strideGiven = false;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string &name = names[i];
    const Expr *arg = args[i];
    if (!arg) {
      if (i < spec.positional.size())
        diag.error(call.range, std::string(spec.name) + " needs its '" + name +
                                   "' argument, as in " + spec.name + "(" +
                                   joinNames(spec.positional) + ")");
      continue;
    }
    if (name == "units" || name == "filters") {
      config.units = positiveInt(*arg, (std::string(spec.name) + "'s " + name).c_str())
                         .value_or(0);
    } else if (name == "kernel" || name == "size") {
      pairOf(*arg, name == "kernel" ? "the kernel size" : "the pool size", 1,
             config.kernel);
    } else if (name == "stride") {
      strideGiven = pairOf(*arg, "the stride", 1, config.stride);
    } else if (name == "dilation") {
      pairOf(*arg, "the dilation", 1, config.dilation);
    } else if (name == "groups") {
      config.groups = positiveInt(*arg, "groups").value_or(1);
    } else if (name == "padding") {
      auto *id = dyn_cast<IdentExpr>(arg);
      if (id && (id->name == "valid" || id->name == "same"))
        config.samePadding = id->name == "same";
      else if (!id)
        pairOf(*arg, "the padding", 0, config.symmetricPadding);
      else
        diag.error(arg->range, "padding must be valid, same, a number or "
                               "[height, width], got '" + id->name + "'");
    } else if (name == "use_bias") {
      if (auto useBias = constBool(*arg, "use_bias"))
        config.useBias = *useBias;
    } else if (name == "activation") {
      auto *id = dyn_cast<IdentExpr>(arg);
      if (!id || !llvm::is_contained(kActivations, id->name))
        diag.error(arg->range, "unknown activation" +
                                   (id ? " '" + id->name + "'" +
                                             didYouMean(id->name, kActivations)
                                       : std::string()) +
                                   " (known: " + joinNames(kActivations) + ")");
      else if (id->name != "none")
        config.activation = id->name;
    } else if (name == "shape") {
      auto *list = dyn_cast<ListExpr>(arg);
      if (!list || list->elements.empty()) {
        diag.error(arg->range, "the shape is a list of sizes per example, as "
                               "in [16, 7, 7]");
        continue;
      }
      config.shape.clear();
      for (const ExprPtr &d : list->elements)
        config.shape.push_back(positiveInt(*d, "a dimension size").value_or(1));
    } else if (name == "rate") {
      std::optional<double> rate = constReal(*arg, "the dropout rate");
      if (rate && !(*rate >= 0 && *rate < 1))
        diag.error(arg->range, "the dropout rate is a probability in [0, 1), "
                               "got " + std::to_string(*rate));
      config.rate = rate.value_or(0.5);
    } else if (name == "momentum") {
      std::optional<double> m = constReal(*arg, "momentum");
      if (m && !(*m > 0 && *m <= 1))
        diag.error(arg->range, "BatchNorm2D's momentum weighs the new batch in "
                               "the running statistics: in (0, 1], got " +
                                   std::to_string(*m));
      config.momentum = m.value_or(0.1);
    } else if (name == "eps") {
      std::optional<double> eps = constReal(*arg, "eps");
      if (eps && !(*eps > 0))
        diag.error(arg->range, "eps must be positive");
      config.eps = eps.value_or(1e-5);
    } else if (name == "negative_slope") {
      config.negativeSlope = constReal(*arg, "negative_slope").value_or(0.01);
    }
  }
  // Pools move by their size unless told otherwise (Keras and PyTorch).
  if ((std::string(spec.op) == "max_pool" || std::string(spec.op) == "avg_pool") &&
      !strideGiven) {
    config.stride[0] = config.kernel[0];
    config.stride[1] = config.kernel[1];
  }
  return diag.errorCount() == errorsBefore;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

std::optional<ValueType> Sema::applyOperator(const OperatorSpec &spec,
                                             LayerConfig &c,
                                             const ValueType &input,
                                             SourceRange at,
                                             const std::string &what) {
  std::string op = spec.op;
  const std::vector<int64_t> &in = input.shape;
  auto mismatch = [&](const std::string &expected, const std::string &hint = "") {
    diag.error(at, what + " expects " + expected + ", got " + input.str() + hint);
    return std::nullopt;
  };
  bool isImageOp = op == "conv2d" || op == "max_pool" || op == "avg_pool" ||
                   op == "global_avg_pool" || op == "batch_norm2d";
  if (isImageOp && in.size() != 3)
    return mismatch("an image input f32[?, channels, height, width]");
  // Windows, channels and reshapes need sizes known at compile time.
  if ((isImageOp || op == "flatten" || op == "reshape") && !input.isStatic())
    return mismatch("sizes known at compile time",
                    "; a symbolic dimension is known only per batch");

  if (op == "dense") {
    if (in.empty())
      return mismatch("an input f32[?, N]");
    if (input.isSymbolic(in.size() - 1))
      return mismatch("a fixed size of the last dimension");
    // Over the last dimension, as nn.Linear and Keras' Dense.
    ValueType out = input;
    out.shape.back() = c.units;
    if (in.size() >= 3)
      diag.warning(at, what + " applies to the last dimension of " +
                           input.str() + ", as nn.Linear does; to use all " +
                           "of an image, flatten it first with flatten(x)");
    if (in.size() > 1)
      unsupported(at, "Dense on more than one dimension per example (" +
                          input.str() + ")");
    return out;
  }
  if (op == "conv2d" || op == "max_pool" || op == "avg_pool") {
    int64_t channels = in[0];
    if (op == "conv2d" && (channels % c.groups || c.units % c.groups)) {
      diag.error(at, what + ": " + std::to_string(c.groups) +
                         " groups must divide both its " +
                         std::to_string(channels) + " input and " +
                         std::to_string(c.units) + " output channels");
      return std::nullopt;
    }
    int64_t dilation[2] = {op == "conv2d" ? c.dilation[0] : 1,
                           op == "conv2d" ? c.dilation[1] : 1};
    int64_t sizes[2];
    for (int d = 0; d < 2; ++d) {
      auto [lo, hi] = c.samePadding
                          ? shape::samePadding(in[1 + d], c.kernel[d],
                                               c.stride[d], dilation[d])
                          : std::pair<int64_t, int64_t>(c.symmetricPadding[d],
                                                        c.symmetricPadding[d]);
      c.padding[d] = lo;
      c.padding[2 + d] = hi;
      std::optional<int64_t> size = shape::windowOutput(
          in[1 + d], c.kernel[d], c.stride[d], lo, hi, dilation[d]);
      if (!size) {
        diag.error(at, what + ": its " + std::to_string(c.kernel[0]) + "x" +
                           std::to_string(c.kernel[1]) +
                           " window does not fit the input " + input.str() +
                           " (" + (d ? "width " : "height ") +
                           std::to_string(in[1 + d]) + ")");
        return std::nullopt;
      }
      sizes[d] = *size;
    }
    return ValueType{{op == "conv2d" ? c.units : channels, sizes[0], sizes[1]}};
  }
  if (op == "global_avg_pool")
    return ValueType{{in[0]}};
  if (op == "reshape") {
    int64_t from = 1, to = 1;
    for (int64_t d : in)
      from *= d;
    for (int64_t d : c.shape)
      to *= d;
    if (from != to) {
      diag.error(at, what + " cannot reshape " + input.str() + " (" +
                         std::to_string(from) + " values per example) into " +
                         ValueType{c.shape}.str() + " (" + std::to_string(to) +
                         ")");
      return std::nullopt;
    }
    return ValueType{c.shape};
  }
  if (op == "flatten") {
    int64_t n = 1;
    for (int64_t d : in)
      n *= d;
    return ValueType{{n}};
  }
  return input; // Activations, dropout and batch norm keep the shape.
}
