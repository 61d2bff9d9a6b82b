using System.Globalization;

namespace Transfer.Backbones.Quantization;

/// <summary>What <see cref="Backbone.QuantizeAsync"/> did and how close the int8 features stay to fp32 (the accuracy guard).</summary>
public sealed record QuantizationReport
{
    /// <summary>Gets the canonical settings text (<see cref="QuantizationOptions.CanonicalKey"/>), recorded in the model manifest.</summary>
    public required string Settings { get; init; }

    /// <summary>Gets the fp32 backbone's fingerprint.</summary>
    public required string SourceFingerprint { get; init; }

    /// <summary>Gets the number of calibration images used.</summary>
    public required int CalibrationImages { get; init; }

    /// <summary>Gets the number of held-out images the guard compared (0 when it did not run).</summary>
    public required int HeldOutImages { get; init; }

    /// <summary>Gets the number of BatchNormalization nodes folded into Convs.</summary>
    public required int BatchNormsFolded { get; init; }

    /// <summary>Gets the number of Convs with int8 weights.</summary>
    public required int QuantizedConvs { get; init; }

    /// <summary>Gets the number of activation tensors with a QuantizeLinear/DequantizeLinear pair.</summary>
    public required int QuantizedTensors { get; init; }

    /// <summary>Gets the nodes kept in fp32 by <see cref="QuantizationOptions.KeepFp32"/>.</summary>
    public required IReadOnlyList<string> KeptFp32 { get; init; }

    /// <summary>Gets the mean cosine between int8 and fp32 features of the held-out images, or <see langword="null"/> without held-out images.</summary>
    public double? MeanCosine { get; init; }

    /// <summary>Gets the lowest cosine between int8 and fp32 features of a held-out image, or <see langword="null"/> without held-out images.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Gets the held-out accuracy of an L-BFGS head trained on the calibration images' fp32 features, or <see langword="null"/> without labels.</summary>
    public double? Fp32Accuracy { get; init; }

    /// <summary>Gets the held-out accuracy of an L-BFGS head trained on the calibration images' int8 features, or <see langword="null"/> without labels.</summary>
    public double? Int8Accuracy { get; init; }

    /// <summary>Gets the guard's warnings (empty when every threshold was met).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Gets how long quantization took, calibration and guard included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Settings}: {BatchNormsFolded} BatchNorms folded, {QuantizedConvs} Convs int8, {QuantizedTensors} tensors QDQ, {CalibrationImages} calibration images; held-out {HeldOutImages}: cosine mean {MeanCosine:F4} min {MinCosine:F4}, accuracy fp32 {Fp32Accuracy:F3} int8 {Int8Accuracy:F3}{(Warnings.Count > 0 ? "; WARNINGS: " + string.Join(" ", Warnings) : string.Empty)}");
}
