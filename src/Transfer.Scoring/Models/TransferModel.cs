using Microsoft.ML;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.IO;
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
    private TemporaryOnnxFile? _onnxFile; // the backbone graph on disk for ApplyOnnxModel, written once on first use
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
            ScaledDecode = manifest.ScaledDecode,
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

    /// <summary>
    /// Creates a model from its parts: what the manifest records, the trained head, and the backbone graph (pixels →
    /// features, the ONNX model that <c>ApplyOnnxModel</c> runs). Training code calls
    /// <c>TransferModel.Create(featurizer, head, …)</c> in Transfer.Core, which builds all three from a featurizer.
    /// </summary>
    /// <param name="manifest">What the model records; its classes, feature length, input size and preprocessing are the model's.</param>
    /// <param name="head">The trained head, with the manifest's classes and feature length.</param>
    /// <param name="backboneGraph">Returns the backbone graph's ONNX bytes; called once, on first use (saving, scoring).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The head's classes or feature length differ from the manifest's, or the manifest's resize mode is unknown.</exception>
    public static TransferModel FromParts(ModelManifest manifest, TrainedHead head, Func<byte[]> backboneGraph)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(backboneGraph);
        if (head.FeatureLength != manifest.FeatureLength)
        {
            throw new ArgumentException($"The head expects {head.FeatureLength} features but the manifest records {manifest.FeatureLength}. Train the head on this backbone's features.", nameof(head));
        }

        if (!head.Classes.SequenceEqual(manifest.Classes, StringComparer.Ordinal))
        {
            throw new ArgumentException($"The head's classes ({string.Join(", ", head.Classes)}) differ from the manifest's ({string.Join(", ", manifest.Classes)}). Record the head's classes in the manifest.", nameof(head));
        }

        if (!Enum.TryParse<ResizeMode>(manifest.ResizeMode, out _))
        {
            throw new ArgumentException($"The manifest's ResizeMode must be one of {string.Join(", ", Enum.GetNames<ResizeMode>())}, was \"{manifest.ResizeMode}\".", nameof(manifest));
        }

        return new TransferModel(new MLContext(0), new Lazy<byte[]>(backboneGraph, LazyThreadSafetyMode.ExecutionAndPublication), head, manifest);
    }

    /// <summary>
    /// Creates a model with this model's backbone graph and preprocessing, and another manifest and head: what it records
    /// after training (the unknown threshold), or a head that knows one more class (<c>AddClass</c>). This model is
    /// left as it is; dispose both.
    /// </summary>
    /// <param name="manifest">The new model's manifest; its feature length, input size and preprocessing must be this model's.</param>
    /// <param name="head">The new model's head, with the manifest's classes.</param>
    /// <returns>The new model.</returns>
    /// <exception cref="ArgumentException">The head does not fit the manifest, or the manifest changes the backbone or preprocessing.</exception>
    public TransferModel With(ModelManifest manifest, TrainedHead head)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (manifest.BackboneFingerprint != Manifest.BackboneFingerprint || manifest.Preprocessing != Manifest.Preprocessing || manifest.Width != Manifest.Width || manifest.Height != Manifest.Height || manifest.TestTimeAugmentation != Manifest.TestTimeAugmentation)
        {
            throw new ArgumentException("The new manifest records another backbone, input size, preprocessing or test-time augmentation than this model's graph; keep those fields (use `Manifest with { ... }`).", nameof(manifest));
        }

        var graph = _featurizerModel;
        return FromParts(manifest, head, () => graph.Value);
    }

    /// <summary>
    /// Returns the backbone graph the model runs: planar A, R, G, B pixels (0–255) <c>Pixels</c> [N, 4, H, W] →
    /// <c>Features</c> [N, D], with the model's normalisation, test-time augmentation and (fine-tuned) weights inside.
    /// Built on first use for a model from a fully cached run. The ONNX export of Transfer.Core starts from it.
    /// </summary>
    /// <returns>The ONNX model's bytes (do not modify them).</returns>
    public ReadOnlyMemory<byte> GetBackboneGraph()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _featurizerModel.Value;
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
            _onnxFile?.Dispose();
        }
    }
}
