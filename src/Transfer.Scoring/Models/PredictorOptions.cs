using Microsoft.Extensions.Logging;
using Transfer.Featurization;
using Transfer.Validation;

namespace Transfer.Models;

/// <summary>Options for <see cref="Predictor"/>.</summary>
public sealed class PredictorOptions
{
    /// <summary>Gets the number of images per ONNX Runtime run in batch prediction (on a GPU, <see cref="GpuBatchSize"/>).</summary>
    /// <value>The default value is 8.</value>
    public int BatchSize { get; init; } = 8;

    /// <summary>Gets the number of images per ONNX Runtime run in batch prediction when the backbone runs on a GPU.</summary>
    /// <value>The default value is 32 (as <c>FeaturizerOptions.DefaultGpuBatchSize</c>).</value>
    public int GpuBatchSize { get; init; } = SessionSettings.DefaultGpuBatchSize;

    /// <summary>Gets the threads ONNX Runtime uses inside one run; 0 for one per core (1 on a GPU).</summary>
    /// <value>The default value is 0.</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets the largest image (width × height) decoded.</summary>
    /// <value>The default value is <see cref="Images.ImagePreprocessing.DefaultMaxPixels"/>.</value>
    public long MaxPixels { get; init; } = Images.ImagePreprocessing.DefaultMaxPixels;

    /// <summary>Gets where ONNX Runtime runs the backbone.</summary>
    /// <value>The default value is <see cref="Featurization.ExecutionProvider.Cpu"/>.</value>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>
    /// Gets a value indicating whether the predictor runs the backbone and the head once on a blank image when it is
    /// created, so the first real prediction is not slowed by ONNX Runtime's first-run allocations.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool WarmUp { get; init; } = true;

    /// <summary>Gets the folder where ONNX Runtime's optimized graph is saved and reused; <see langword="null"/> to not save it.</summary>
    /// <value>
    /// The default value is <c>$TRANSFER_ORT_CACHE</c> when set, else <c>$XDG_CACHE_HOME/transfer/onnxruntime</c>, else
    /// <c>~/.cache/transfer/onnxruntime</c> (as <c>FeaturizerOptions.DefaultOptimizedGraphDirectory</c>).
    /// </value>
    public string? OptimizedGraphDirectory { get; init; } = OptimizedGraphCache.DefaultDirectory;

    /// <summary>Gets the logger factory for the one warning logged when a GPU was asked for and the CPU is used instead.</summary>
    /// <value>The default value is <see langword="null"/> (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Gets a value indicating whether an image whose highest class probability is below the model's unknown threshold
    /// (<see cref="ModelManifest.Unknown"/>, or <see cref="UnknownThreshold"/> when set) is answered
    /// <see cref="Prediction.UnknownLabel"/> (<see cref="Prediction.IsUnknown"/>) instead of a class.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool RejectUnknown { get; init; }

    /// <summary>
    /// Gets the threshold on the highest class probability that overrides the model's own, or <see langword="null"/> to
    /// use the model's (a model saved before thresholds were stored has none: set one here).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public float? UnknownThreshold { get; init; }

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        RuntimeOptionsValidation.AddProblems(problems, BatchSize, GpuBatchSize, IntraOpThreads, ExecutionProvider, OptimizedGraphDirectory);

        if (MaxPixels < 1)
        {
            problems.Add($"MaxPixels must be positive, was {MaxPixels}.");
        }

        if (UnknownThreshold is { } threshold && !(threshold is >= 0f and <= 1f))
        {
            problems.Add(System.FormattableString.Invariant($"UnknownThreshold must be a probability in [0, 1] (or null for the model's own), was {threshold}."));
        }

        problems.ThrowIfAny(nameof(PredictorOptions));
    }
}
