using System.Globalization;
using Microsoft.Extensions.Logging;
using Transfer.Images;
using Transfer.Validation;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Settings of <see cref="Backbone.QuantizeAsync"/>: static int8 quantization in QDQ form (uint8 asymmetric per-tensor
/// activations, int8 symmetric per-output-channel Conv weights), calibrated on a stratified sample of the images given.
/// </summary>
public sealed class QuantizationOptions
{
    /// <summary>The default number of calibration images.</summary>
    public const int DefaultCalibrationImageCount = 64;

    /// <summary>The default number of held-out images for the accuracy guard.</summary>
    public const int DefaultHeldOutImageCount = 64;

    private ILogger? _logger;

    /// <summary>Gets how many images (a stratified sample of the set given) calibrate the activation ranges.</summary>
    /// <value>The default value is 64.</value>
    public int CalibrationImageCount { get; init; } = DefaultCalibrationImageCount;

    /// <summary>
    /// Gets how many other images (stratified, disjoint from the calibration sample) the accuracy guard compares int8 and
    /// fp32 features on; 0 skips the guard. Ignored when <see cref="HeldOutImages"/> is set.
    /// </summary>
    /// <value>The default value is 64.</value>
    public int HeldOutImageCount { get; init; } = DefaultHeldOutImageCount;

    /// <summary>Gets explicit held-out images for the accuracy guard, or <see langword="null"/> to sample them from the set given.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ImageSet? HeldOutImages { get; init; }

    /// <summary>Gets how activation ranges are chosen.</summary>
    /// <value>The default value is <see cref="CalibrationMethod.MinimumSquaredError"/>: on the flower photos it cut the
    /// relative error of ResNet18's int8 features from 9.4 % (percentile 0.01/99.99, which clipped too much) to 7.1 %; see docs/INT8.md.</value>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinimumSquaredError;

    /// <summary>Gets the lower percentile (in percent) of each activation's range with <see cref="CalibrationMethod.Percentile"/>.</summary>
    /// <value>The default value is 0.01 (%).</value>
    public double LowerPercentile { get; init; } = 0.01;

    /// <summary>Gets the upper percentile (in percent) of each activation's range with <see cref="CalibrationMethod.Percentile"/>.</summary>
    /// <value>The default value is 99.99 (%).</value>
    public double UpperPercentile { get; init; } = 99.99;

    /// <summary>
    /// Gets node names or op types (e.g. <c>"Convolution249"</c>, <c>"Add"</c>) kept in fp32. The preprocessing part of the
    /// graph (alpha, channel order, mean) is always fp32.
    /// </summary>
    /// <value>The default value is empty (every Conv, Add, MaxPool and AveragePool input is quantized).</value>
    public IReadOnlyList<string> KeepFp32 { get; init; } = [];

    /// <summary>
    /// Gets whether Conv weights use 7 bits ([-63, 63]) instead of 8 ([-127, 127]). On x64 CPUs without VNNI, ONNX Runtime's
    /// u8·s8 kernels (VPMADDUBSW) sum pairs of products in 16 bits, which saturates with full-range weights; the saved model may
    /// run on such a CPU whatever CPU quantized it.
    /// </summary>
    /// <value>The default value is <see langword="true"/>: on this project's Xeon without VNNI, full-range weights dropped the
    /// mean cosine to fp32 features from 0.989 to 0.938 (the same graph run unfused, without saturation, scored 0.995).</value>
    public bool ReduceWeightRange { get; init; } = true;

    /// <summary>
    /// Gets whether each output channel's weight scale is searched (0.50–1.00 × |w|max / qmax) for the least squared weight
    /// error, clipping a few outlying weights to round the rest finer, instead of |w|max / qmax. It matters most with
    /// <see cref="ReduceWeightRange"/>'s 7-bit weights.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool SearchWeightScales { get; init; } = true;

    /// <summary>Gets the lowest acceptable mean cosine between int8 and fp32 features on the held-out images.</summary>
    /// <value>The default value is 0.95.</value>
    public double MinMeanCosine { get; init; } = 0.95;

    /// <summary>
    /// Gets the largest acceptable drop in accuracy (fraction, 0.02 = 2 points) of an L-BFGS head trained on the calibration
    /// images' int8 features against one trained on their fp32 features, both tested on the held-out images. Checked only
    /// when the images have at least two classes.
    /// </summary>
    /// <value>The default value is 0.05.</value>
    public double MaxAccuracyDrop { get; init; } = 0.05;

    /// <summary>Gets what happens when a threshold is missed.</summary>
    /// <value>The default value is <see cref="AccuracyGuardAction.Warn"/>.</value>
    public AccuracyGuardAction GuardAction { get; init; } = AccuracyGuardAction.Warn;

    /// <summary>Gets the preprocessing the calibration images go through; use the one the featurizer will use.</summary>
    /// <value>The default value is <see cref="ImagePreprocessing.Default"/>.</value>
    public ImagePreprocessing Preprocessing { get; init; } = ImagePreprocessing.Default;

    /// <summary>Gets the number of images per ONNX Runtime run during calibration.</summary>
    /// <value>The default value is 8.</value>
    public int BatchSize { get; init; } = 8;

    /// <summary>Gets the seed of the stratified samples.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; init; } = 42;

    /// <summary>Gets the logger that receives the guard's warnings and a summary, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ILogger? Logger { get => _logger; init => _logger = value; }

    /// <summary>Returns a copy of these options that logs to another logger (how a pipeline's logger factory reaches the quantizer).</summary>
    /// <param name="logger">The logger, or <see langword="null"/> for none.</param>
    /// <returns>The copy; these options are unchanged.</returns>
    public QuantizationOptions WithLogger(ILogger? logger)
    {
        var copy = (QuantizationOptions)MemberwiseClone();
        copy._logger = logger;
        return copy;
    }

    /// <summary>Checks the options together and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (CalibrationImageCount < 1)
        {
            problems.Add($"CalibrationImageCount must be at least 1 (50–100 is typical), was {CalibrationImageCount}.");
        }

        if (HeldOutImageCount < 0)
        {
            problems.Add($"HeldOutImageCount must be 0 (no guard) or more, was {HeldOutImageCount}.");
        }

        if (double.IsNaN(LowerPercentile) || double.IsNaN(UpperPercentile) || LowerPercentile < 0 || UpperPercentile > 100 || LowerPercentile >= UpperPercentile)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"LowerPercentile and UpperPercentile must satisfy 0 <= lower < upper <= 100 (percent, e.g. 0.01 and 99.99), were {LowerPercentile} and {UpperPercentile}."));
        }

        if (double.IsNaN(MinMeanCosine) || MinMeanCosine is < -1 or > 1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MinMeanCosine must be in [-1, 1] (e.g. 0.95), was {MinMeanCosine}."));
        }

        if (double.IsNaN(MaxAccuracyDrop) || MaxAccuracyDrop is < 0 or > 1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxAccuracyDrop must be a fraction in [0, 1] (0.02 = 2 points), was {MaxAccuracyDrop}."));
        }

        if (BatchSize is < 1 or > 256)
        {
            problems.Add($"BatchSize must be in [1, 256], was {BatchSize}.");
        }

        if (KeepFp32 is null || KeepFp32.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("KeepFp32 must list node names or op types, and contained an empty entry (or was null).");
        }

        if (Preprocessing is null)
        {
            problems.Add("Preprocessing must be set (the featurizer's preprocessing), was null.");
        }

        if (!Enum.IsDefined(Method))
        {
            problems.Add($"Method must be Percentile, Entropy or MinimumSquaredError, was {(int)Method}.");
        }

        if (!Enum.IsDefined(GuardAction))
        {
            problems.Add($"GuardAction must be Warn or Refuse, was {(int)GuardAction}.");
        }

        problems.ThrowIfAny(nameof(QuantizationOptions));
    }

    /// <summary>A canonical text of the settings that change the quantized graph (recorded in the report and the model manifest).</summary>
    /// <returns>The canonical text.</returns>
    public string CanonicalKey() => string.Create(
        CultureInfo.InvariantCulture,
        $"int8-qdq;act=u8-asym-per-tensor;w=s8-sym-per-channel{(ReduceWeightRange ? "-7bit" : string.Empty)}{(SearchWeightScales ? "-mse" : string.Empty)};method={Method}{(Method == CalibrationMethod.Percentile ? $"({LowerPercentile:R},{UpperPercentile:R})" : string.Empty)};calibration={CalibrationImageCount};seed={Seed};keep=[{string.Join(",", KeepFp32)}]");
}
