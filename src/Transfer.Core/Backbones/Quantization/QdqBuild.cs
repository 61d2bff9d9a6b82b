using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>The graphs of one quantization: the BatchNorm-folded fp32 model, its QDQ rewrite and the plan behind it.</summary>
/// <param name="Folded">The fp32 model with BatchNorm folded into the Convs (the reference the QDQ graph approximates).</param>
/// <param name="Quantized">The QDQ model.</param>
/// <param name="Plan">Which nodes and tensors were quantized.</param>
/// <param name="BatchNormsFolded">The number of BatchNormalization nodes folded.</param>
/// <param name="QuantizedConvs">The number of Convs with int8 weights.</param>
internal sealed record QdqBuild(ModelProto Folded, ModelProto Quantized, QdqPlan Plan, int BatchNormsFolded, int QuantizedConvs);
