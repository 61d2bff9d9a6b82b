using Microsoft.ML;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// A trained image classifier: preprocessing + backbone + head. Saves as an ML.NET model zip built only from ML.NET's
/// own transforms (<c>LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel → head → MapKeyToValue</c>), so
/// <c>mlContext.Model.Load</c> and <c>PredictionEngine</c> score it with no Transfer code; <see cref="CreatePredictor"/>
/// gives a faster, thread-safe, batched predictor.
/// </summary>
public sealed partial class TransferModel : IDisposable
{
    /// <summary>The name of the zip entry holding the manifest.</summary>
    public const string ManifestEntry = "Transfer/manifest.json";

    /// <summary>
    /// The name of the zip entry holding the head alone (an ML.NET model of the last transformer): <see cref="Load"/>
    /// reads it instead of the whole chain, so loading does not build ML.NET's own ONNX Runtime session for the backbone.
    /// </summary>
    public const string HeadEntry = "Transfer/head.zip";

    private readonly MLContext _ml;
    private readonly Lazy<byte[]> _featurizerModel; // built on first use when the model comes from a fully cached run
    private readonly TrainedHead _head;
    private string? _onnxPath; // the backbone graph on disk for ApplyOnnxModel, written once on first use
    private readonly object _gate = new();
    private bool _disposed;

    private TransferModel(MLContext ml, Lazy<byte[]> featurizerModel, TrainedHead head, ModelManifest manifest)
    {
        _ml = ml;
        _featurizerModel = featurizerModel;
        _head = head;
        Manifest = manifest;
        Preprocessing = new ImagePreprocessing
        {
            ResizeMode = Enum.Parse<ResizeMode>(manifest.ResizeMode),
            AlphaBackground = manifest.AlphaBackground,
            ApplyExifOrientation = manifest.ApplyExifOrientation,
        };
    }

    /// <summary>Gets what the model records about how it was made.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Gets the class names in class-index order.</summary>
    public IReadOnlyList<string> Classes => Manifest.Classes;

    /// <summary>Gets the preprocessing the model applies.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Gets the trained head.</summary>
    public TrainedHead Head => _head;

    /// <summary>Creates a model from a featurizer and a head trained on its features.</summary>
    /// <param name="featurizer">The featurizer the head's features came from.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="headDescription">The head trainer's description for the manifest.</param>
    /// <returns>The model.</returns>
    public static TransferModel Create(Featurizer featurizer, TrainedHead head, string headDescription) =>
        Create(featurizer, head, headDescription, TestTimeAugmentation.None);

    /// <summary>Creates a model whose backbone graph averages each image's features with those of its augmented copies (test-time augmentation), so every scorer does the same.</summary>
    /// <param name="featurizer">The featurizer the head's features came from.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="headDescription">The head trainer's description for the manifest.</param>
    /// <param name="testTimeAugmentation">The test-time augmentation built into the saved graph.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The head does not fit the featurizer, or the augmentation is not defined.</exception>
    public static TransferModel Create(Featurizer featurizer, TrainedHead head, string headDescription, TestTimeAugmentation testTimeAugmentation)
    {
        if (!Enum.IsDefined(testTimeAugmentation))
        {
            throw new ArgumentException($"Parameter \"testTimeAugmentation\" must be None or HorizontalFlip, was {testTimeAugmentation}.", nameof(testTimeAugmentation));
        }

        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(head);
        if (head.FeatureLength != featurizer.FeatureLength)
        {
            throw new ArgumentException($"The head expects {head.FeatureLength} features but the featurizer gives {featurizer.FeatureLength}. Train the head on this featurizer's features.", nameof(head));
        }

        var b = featurizer.Backbone;
        var p = featurizer.Options.Preprocessing;
        var manifest = new ModelManifest
        {
            Classes = [.. head.Classes],
            Backbone = b.Name,
            BackboneFingerprint = b.Fingerprint,
            BackboneQuantization = b.Quantization?.Settings,
            Width = b.Width,
            Height = b.Height,
            FeatureLength = b.FeatureLength,
            Preprocessing = p.CanonicalKey(),
            ResizeMode = p.ResizeMode.ToString(),
            AlphaBackground = p.AlphaBackground,
            ApplyExifOrientation = p.ApplyExifOrientation,
            Head = head.TrainerName,
            HeadDescription = headDescription,
            TestTimeAugmentation = testTimeAugmentation,
        };
        var graph = testTimeAugmentation == TestTimeAugmentation.None
            ? featurizer.LazyModelBytes
            : new Lazy<byte[]>(() => b.BuildFeaturizerModel(p, testTimeAugmentation), LazyThreadSafetyMode.ExecutionAndPublication);
        return new TransferModel(new MLContext(0), graph, head, manifest);
    }

    /// <summary>
    /// Creates a thread-safe predictor that batches images through ONNX Runtime. By default it runs one blank image
    /// through the backbone and head first (<see cref="PredictorOptions.WarmUp"/>), so the first real prediction is fast.
    /// </summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The predictor (dispose it).</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="GpuUnavailableException">CUDA was asked for with <see cref="GpuFallback.Fail"/> and cannot be used.</exception>
    public Predictor CreatePredictor(PredictorOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Predictor(_featurizerModel.Value, Manifest, Preprocessing, _head, options ?? new PredictorOptions());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_onnxPath is not null)
            {
                try
                {
                    File.Delete(_onnxPath);
                }
                catch (IOException)
                {
                    // A temp file still mapped by ONNX Runtime; the OS temp cleaner takes it.
                }
            }
        }
    }
}
