using System.IO.Compression;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
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
public sealed class TransferModel : IDisposable
{
    /// <summary>The name of the zip entry holding the manifest.</summary>
    public const string ManifestEntry = "Transfer/manifest.json";

    /// <summary>
    /// The name of the zip entry holding the head alone (an ML.NET model of the last transformer): <see cref="Load"/>
    /// reads it instead of the whole chain, so loading does not build ML.NET's own ONNX Runtime session for the backbone.
    /// </summary>
    public const string HeadEntry = "Transfer/head.zip";

    /// <summary>ONNX entries from this size up are stored uncompressed (a neural head's small model stays deflated).</summary>
    private const long StoreUncompressedFrom = 1 << 20;

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
    /// Builds the ML.NET scoring chain: input <c>ImagePath</c> (text) or <c>Image</c> (<c>MLImage</c>), outputs
    /// <c>Score</c> (probabilities in class order) and <c>PredictedLabel</c> (text).
    /// </summary>
    /// <param name="input">The input column kind.</param>
    /// <returns>The fitted transformer chain.</returns>
    public ITransformer ToMlNet(ScoringInput input = ScoringInput.ImagePath)
    {
        var (chain, _) = BuildChain(input, null, fallbackToCpu: true);
        return chain;
    }

    /// <summary>
    /// Builds the ML.NET scoring chain with its <c>ApplyOnnxModel</c> step on an execution provider. With
    /// <see cref="ExecutionProvider.Cuda"/>, when the GPU package or CUDA is missing, the fallback decides: one
    /// warning and the CPU, or a <see cref="GpuUnavailableException"/>. (A saved zip does not record the provider: to
    /// score a zip on a GPU with plain ML.NET, set <c>MLContext.GpuDeviceId</c> and <c>FallbackToCpu</c> before
    /// <c>Model.Load</c>.)
    /// </summary>
    /// <param name="input">The input column kind.</param>
    /// <param name="executionProvider">Where ONNX Runtime runs the backbone.</param>
    /// <param name="loggerFactory">Where the fallback warning goes; <see langword="null"/> for none.</param>
    /// <returns>The fitted transformer chain.</returns>
    /// <exception cref="GpuUnavailableException">CUDA was asked for with <see cref="GpuFallback.Fail"/> and cannot be used.</exception>
    public ITransformer ToMlNet(ScoringInput input, ExecutionProvider executionProvider, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(executionProvider);
        int? device = null;
        if (executionProvider.IsCuda)
        {
            var probe = GpuSupport.ProbeCuda(executionProvider.DeviceId);
            if (probe.IsAvailable)
            {
                device = executionProvider.DeviceId;
            }
            else if (executionProvider.Fallback == GpuFallback.Fail)
            {
                throw new GpuUnavailableException($"{executionProvider} was asked for with GpuFallback.Fail, but it cannot be used. {probe.Problem} Or use GpuFallback.Cpu to run on the CPU with a warning.");
            }
            else
            {
                ExecutionProviderLog.FellBackToCpu((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(ExecutionProviderLog.Category), executionProvider.ToString(), probe.Problem!);
            }
        }

        var (chain, _) = BuildChain(input, device, executionProvider.Fallback == GpuFallback.Cpu);
        return chain;
    }

    /// <summary>
    /// Saves the model as an ML.NET zip (plus <c>Transfer/manifest.json</c>). Written to a temporary file in the same
    /// folder and renamed into place, so an existing file is never left half-written.
    /// </summary>
    /// <param name="path">The zip file to write.</param>
    /// <param name="input">The input column kind of the saved chain.</param>
    /// <param name="cancellationToken">Checked before writing and before the rename; a cancelled save leaves any existing file as it was.</param>
    /// <exception cref="IOException">The file cannot be written (the disk is full, the folder is read-only…); any existing file is left as it was.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Save(string path, ScoringInput input = ScoringInput.ImagePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var (chain, schema) = BuildChain(input, null, fallbackToCpu: true);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                // ML.NET cannot serialise an image-typed input schema; such a model is saved without one (PredictionEngine does not need it).
                _ml.Model.Save(chain, input == ScoringInput.ImagePath ? schema : null, stream);
                stream.Position = 0;
                using var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
                StoreOnnxUncompressed(zip);
                using (var writer = zip.CreateEntry(ManifestEntry).Open())
                {
                    JsonSerializer.Serialize(writer, Manifest with { Input = input }, ModelManifestJsonContext.Default.ModelManifest);
                }

                using var head = zip.CreateEntry(HeadEntry, CompressionLevel.Fastest).Open();
                _ml.Model.Save(_head.ScoringTransformer, null, head);
            }

            using (var check = File.OpenRead(temp))
            {
                check.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch (ArgumentOutOfRangeException e) when (e.TargetSite?.DeclaringType?.Namespace == "System.IO")
        {
            // .NET reports EFBIG (a write past the file-size limit, ulimit -f) as ArgumentOutOfRangeException from the file stream.
            throw new IOException($"Model \"{full}\" could not be written: {e.Message} Free disk space or raise the file-size limit (ulimit -f); {(File.Exists(full) ? "the existing file is unchanged" : "no file was created")}.", e);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Rewrites the ONNX entries ML.NET deflated as stored ones. Float weights compress by about 7 %, and inflating the
    /// 64 MB ResNet18 entry took about 0.4 s of every <see cref="Load"/> (and of every plain ML.NET load).
    /// </summary>
    private static void StoreOnnxUncompressed(ZipArchive zip)
    {
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal) && e.Length >= StoreUncompressedFrom).ToList())
        {
            string name = entry.FullName;
            var bytes = new byte[entry.Length];
            using (var s = entry.Open())
            {
                s.ReadExactly(bytes);
            }

            entry.Delete();
            using var stored = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stored.Write(bytes);
        }
    }

    /// <summary>Reads a zip entry whole and checks it against the CRC-32 and length the zip records.</summary>
    private static byte[] ReadVerified(ZipArchiveEntry entry, string full)
    {
        if (entry.Length > Array.MaxLength)
        {
            throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} declares {entry.Length} bytes, more than a model holds. The file is damaged; save or copy it again.");
        }

        var bytes = new byte[entry.Length];
        using (var s = entry.Open())
        {
            s.ReadExactly(bytes);
            if (s.ReadByte() != -1)
            {
                throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} holds more than the {entry.Length} bytes the zip records. The file is damaged; save or copy it again.");
            }
        }

        uint crc = Crc32.HashToUInt32(bytes);
        if (crc != entry.Crc32)
        {
            throw new InvalidDataException($"Model \"{full}\": entry {entry.FullName} is damaged (CRC-32 {crc:X8}, the zip records {entry.Crc32:X8}). Save or copy the model again.");
        }

        return bytes;
    }

    /// <summary>Loads a model saved by <see cref="Save"/>.</summary>
    /// <param name="path">The model zip.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The file is not a Transfer model zip or is damaged.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static TransferModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Model \"{full}\" does not exist. Pass the path of a model zip saved by Transfer.", full);
        }

        try
        {
            ModelManifest manifest;
            byte[]? onnx = null;
            MemoryStream? headModel = null;
            using (var zip = ZipFile.OpenRead(full))
            {
                // Every entry is read whole and checked against the CRC-32 the zip records: .NET does not check it, and
                // a flipped bit in stored (uncompressed) weights would otherwise load and predict wrongly without a word.
                var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, e => ReadVerified(e, full), StringComparer.Ordinal);
                if (!entries.TryGetValue(ManifestEntry, out var manifestBytes))
                {
                    throw new InvalidDataException($"Model \"{full}\" has no {ManifestEntry}: it is not a Transfer model (a plain ML.NET model zip?). Save it with TransferModel.Save.");
                }

                manifest = JsonSerializer.Deserialize(manifestBytes, ModelManifestJsonContext.Default.ModelManifest) ?? throw new InvalidDataException($"Model \"{full}\": {ManifestEntry} is empty.");
                if (entries.TryGetValue(HeadEntry, out var headBytes))
                {
                    headModel = new MemoryStream(headBytes, writable: false);
                }

                // The backbone is the largest ONNX model in the chain (a neural head adds a small one).
                foreach (var (name, all) in entries.Where(e => e.Key.EndsWith("/OnnxModel", StringComparison.Ordinal)).OrderByDescending(e => e.Value.Length).Take(1))
                {
                    // ML.NET stores the ONNX model as a 32-bit length followed by the bytes.
                    int length = all.Length >= 4 ? BitConverter.ToInt32(all, 0) : -1;
                    if (length != all.Length - 4)
                    {
                        throw new InvalidDataException($"Model \"{full}\": entry {name} is damaged (declares {length} bytes, holds {all.Length - 4}).");
                    }

                    onnx = all[4..];
                }
            }

            if (onnx is null)
            {
                throw new InvalidDataException($"Model \"{full}\" holds no ONNX backbone. It is damaged; save it again.");
            }

            var ml = new MLContext(0);
            ITransformer head;
            if (headModel is not null)
            {
                using (headModel)
                {
                    head = ml.Model.Load(headModel, out _);
                }
            }
            else
            {
                // A zip saved before the head had its own entry: load the whole chain (ML.NET builds a backbone session too).
                ITransformer loaded;
                using (var stream = File.OpenRead(full))
                {
                    loaded = ml.Model.Load(stream, out _);
                }

                head = loaded is TransformerChain<ITransformer> chain ? chain.LastTransformer : throw new InvalidDataException($"Model \"{full}\" is not a Transfer scoring chain.");
            }

            var trained = new TransformerHead(ml, head, manifest.Classes, manifest.FeatureLength, manifest.Head);
            return new TransferModel(ml, new Lazy<byte[]>(onnx), trained, manifest);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or ArgumentException or InvalidOperationException or EndOfStreamException)
        {
            if (e is InvalidDataException ide && ide.Message.StartsWith("Model \"", StringComparison.Ordinal))
            {
                throw;
            }

            throw new InvalidDataException($"Model \"{full}\" cannot be loaded: {e.Message} The file is damaged or not a Transfer model; save or copy it again.", e);
        }
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

    private (ITransformer Chain, DataViewSchema Schema) BuildChain(ScoringInput input, int? gpuDeviceId, bool fallbackToCpu)
    {
        string onnxPath;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_onnxPath is null)
            {
                string path = Path.Combine(Path.GetTempPath(), $"transfer-{Guid.NewGuid():N}.onnx");
                try
                {
                    File.WriteAllBytes(path, _featurizerModel.Value);
                }
                catch
                {
                    // A full disk must not leave a half-written model in the temp folder.
                    File.Delete(path);
                    throw;
                }

                _onnxPath = path;
            }

            onnxPath = _onnxPath;
        }

        var resize = Preprocessing.ResizeMode switch
        {
            ResizeMode.Stretch => ImageResizingEstimator.ResizingKind.Fill,
            ResizeMode.Pad => ImageResizingEstimator.ResizingKind.IsoPad,
            _ => ImageResizingEstimator.ResizingKind.IsoCrop,
        };
        IDataView empty;
        IEstimator<ITransformer> start;
        if (input == ScoringInput.ImagePath)
        {
            empty = _ml.Data.LoadFromEnumerable(new List<PathInput>());
            start = _ml.Transforms.LoadImages("Image", null, "ImagePath")
                .Append(_ml.Transforms.ResizeImages("Image", Manifest.Width, Manifest.Height, "Image", resize, ImageResizingEstimator.Anchor.Center));
        }
        else
        {
            empty = _ml.Data.LoadFromEnumerable(new List<ImageInput>());
            start = _ml.Transforms.ResizeImages("Image", Manifest.Width, Manifest.Height, "Image", resize, ImageResizingEstimator.Anchor.Center);
        }

        var imageChain = start
            .Append(_ml.Transforms.ExtractPixels(BackboneGraph.PixelsName, "Image", ImagePixelExtractingEstimator.ColorBits.All, ImagePixelExtractingEstimator.ColorsOrder.ARGB))
            .Append(_ml.Transforms.ApplyOnnxModel([BackboneGraph.FeaturesName], [BackboneGraph.PixelsName], onnxPath, gpuDeviceId, fallbackToCpu))
            .Fit(empty);
        var transformers = imageChain.Cast<ITransformer>().Append(_head.ScoringTransformer).ToArray();
        return (new TransformerChain<ITransformer>(transformers), empty.Schema);
    }

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class ImageInput
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }
    }
}
