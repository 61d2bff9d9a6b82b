namespace Transfer.Backbones.Quantization;

/// <summary>How the range of each activation tensor is chosen from the calibration run.</summary>
public enum CalibrationMethod
{
    /// <summary>The range between two percentiles of the values seen (<see cref="QuantizationOptions.LowerPercentile"/>, <see cref="QuantizationOptions.UpperPercentile"/>).</summary>
    Percentile,

    /// <summary>The clipping threshold that minimises the KL divergence between the value histogram and its 8-bit quantization (TensorRT's entropy calibration).</summary>
    Entropy,

    /// <summary>
    /// The range whose 8-bit quantization has the least expected squared error (rounding inside plus clipping outside),
    /// searched on the value histogram.
    /// </summary>
    MinimumSquaredError,
}
