using Microsoft.Extensions.Logging;
using Transfer.Augmentation;
using Transfer.Images;
using Transfer.Validation;

namespace Transfer.Featurization;

/// <summary>Options for <see cref="Featurizer"/>.</summary>
public sealed record FeaturizerOptions
{
    /// <summary>The default <see cref="GpuBatchSize"/>: a GPU is busier with larger batches, and 32 images of 224×224 need 25 MB of pixels.</summary>
    public const int DefaultGpuBatchSize = SessionSettings.DefaultGpuBatchSize;

    /// <summary>
    /// Gets the default <see cref="OptimizedGraphDirectory"/>: <c>$TRANSFER_ORT_CACHE</c> when set, else
    /// <c>$XDG_CACHE_HOME/transfer/onnxruntime</c>, else <c>~/.cache/transfer/onnxruntime</c>.
    /// </summary>
    public static string DefaultOptimizedGraphDirectory => OptimizedGraphCache.DefaultDirectory;

    /// <summary>Gets the number of images per ONNX Runtime run.</summary>
    /// <value>The default value is 8 (the best measured batch for ResNet18 on 2 CPU cores).</value>
    public int BatchSize { get; init; } = 8;

    /// <summary>Gets the number of images per ONNX Runtime run when the backbone runs on a GPU (<see cref="ExecutionProvider"/> is CUDA and usable).</summary>
    /// <value>The default value is <see cref="DefaultGpuBatchSize"/>.</value>
    public int GpuBatchSize { get; init; } = DefaultGpuBatchSize;

    /// <summary>Gets the number of threads ONNX Runtime uses inside one run; 0 for one per core on the CPU (1 on a GPU, where the graph does not run on the CPU).</summary>
    /// <value>The default value is 0.</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets where ONNX Runtime runs the backbone.</summary>
    /// <value>The default value is <see cref="Featurization.ExecutionProvider.Cpu"/>.</value>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>
    /// Gets the folder where ONNX Runtime's optimized graph is saved and reused by later sessions (they start faster);
    /// <see langword="null"/> to optimize the graph anew each time. An unusable folder is skipped, never an error.
    /// </summary>
    /// <value>The default value is <see cref="DefaultOptimizedGraphDirectory"/>.</value>
    public string? OptimizedGraphDirectory { get; init; } = DefaultOptimizedGraphDirectory;

    /// <summary>Gets the logger factory for the one warning logged when a GPU was asked for and the CPU is used instead.</summary>
    /// <value>The default value is <see langword="null"/> (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Gets the number of images decoded at once while the previous batch runs; 0 for one per core.</summary>
    /// <value>The default value is 0.</value>
    public int DecodeThreads { get; init; }

    /// <summary>Gets what happens to an image that cannot be decoded.</summary>
    /// <value>The default value is <see cref="BadImagePolicy.Fail"/>.</value>
    public BadImagePolicy BadImagePolicy { get; init; } = BadImagePolicy.Fail;

    /// <summary>Gets how images become pixels.</summary>
    /// <value>The default value is <see cref="ImagePreprocessing.Default"/>.</value>
    public ImagePreprocessing Preprocessing { get; init; } = ImagePreprocessing.Default;

    /// <summary>
    /// Gets the augmented view every decoded image is turned into before the backbone (a crop, mirror or colour jitter drawn
    /// from the image's content hash and the view's seed), or <see langword="null"/> for the images as they are. A view's
    /// vectors have a feature space of their own (<see cref="Featurizer.FeatureSpaceKey"/> includes the view's
    /// <see cref="AugmentationView.CanonicalKey"/>), so they never mix with the plain ones in the bottleneck cache.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (the image as it is).</value>
    public AugmentationView? View { get; init; }

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        RuntimeOptionsValidation.AddProblems(problems, BatchSize, GpuBatchSize, IntraOpThreads, ExecutionProvider, OptimizedGraphDirectory);

        if (DecodeThreads < 0)
        {
            problems.Add($"DecodeThreads must be 0 (one per core) or more, was {DecodeThreads}.");
        }

        if (Preprocessing is null)
        {
            problems.Add("Preprocessing must not be null.");
        }
        else if (Preprocessing.MaxPixels < 1)
        {
            problems.Add($"Preprocessing.MaxPixels must be positive, was {Preprocessing.MaxPixels}.");
        }

        if (View is not null)
        {
            problems.AddFrom("View.", View.Validate);
        }

        problems.ThrowIfAny(nameof(FeaturizerOptions));
    }
}
