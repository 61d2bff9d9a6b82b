using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Onnx;
using Transfer.Augmentation;
using Transfer.Backbones.Quantization;
using Transfer.Images;

namespace Transfer.Backbones;

/// <summary>
/// A pretrained CNN used as a frozen feature extractor: an ONNX model plus the <see cref="BackboneDescriptor"/> that
/// says how to feed it. Immutable and shareable; sessions are created by the featurizer and the predictor.
/// </summary>
public sealed class Backbone
{
    /// <summary>The smallest input side <see cref="WithInputSize"/> accepts.</summary>
    private const int MinInputSide = 32;

    /// <summary>The largest input side <see cref="WithInputSize"/> accepts.</summary>
    private const int MaxInputSide = 1024;

    private readonly Func<byte[]> _loadModel;
    private readonly Lazy<string> _fingerprint;

    /// <summary>The backbone <see cref="WithInputSize"/> was called on (its own size and mean image), or <see langword="null"/>.</summary>
    private readonly Backbone? _resizedFrom;

    private Backbone(BackboneDescriptor descriptor, Func<byte[]> loadModel, string source, QuantizationReport? quantization = null, Backbone? resizedFrom = null, bool inputResized = false)
    {
        descriptor.Validate();
        Descriptor = descriptor;
        _loadModel = loadModel;
        Source = source;
        Quantization = quantization;
        _resizedFrom = resizedFrom;
        InputResized = inputResized || resizedFrom is not null;
        _fingerprint = new Lazy<string>(ComputeFingerprint);
    }

    /// <summary>
    /// Gets how this backbone was quantized (settings and the accuracy guard's figures), or <see langword="null"/> for a
    /// floating-point backbone.
    /// </summary>
    public QuantizationReport? Quantization { get; }

    /// <summary>Gets whether this is an int8 backbone made by <see cref="QuantizeAsync"/>.</summary>
    public bool IsQuantized => Quantization is not null;

    /// <summary>Gets the descriptor.</summary>
    public BackboneDescriptor Descriptor { get; }

    /// <summary>Gets the backbone's name.</summary>
    public string Name => Descriptor.Name;

    /// <summary>Gets where the model came from (a file path).</summary>
    public string Source { get; }

    /// <summary>Gets the input width in pixels.</summary>
    public int Width => Descriptor.Width;

    /// <summary>Gets the input height in pixels.</summary>
    public int Height => Descriptor.Height;

    /// <summary>Gets the number of features per image.</summary>
    public int FeatureLength => Descriptor.FeatureLength;

    /// <summary>Gets the fingerprint: SHA-256 (hex) of the model bytes and the descriptor. Any change to either changes it.</summary>
    public string Fingerprint => _fingerprint.Value;

    /// <summary>Creates a backbone from an ONNX file and its descriptor.</summary>
    /// <param name="onnxPath">The ONNX model file.</param>
    /// <param name="descriptor">How to feed it.</param>
    /// <returns>The backbone.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The descriptor is invalid.</exception>
    public static Backbone FromOnnx(string onnxPath, BackboneDescriptor descriptor)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        ArgumentNullException.ThrowIfNull(descriptor);
        string full = Path.GetFullPath(onnxPath);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Backbone model \"{full}\" does not exist. Pass the path of an ONNX CNN.", full);
        }

        return new Backbone(descriptor, () => File.ReadAllBytes(full), full);
    }

    /// <summary>Creates a backbone from ONNX model bytes held in memory.</summary>
    /// <param name="onnxModel">The ONNX model.</param>
    /// <param name="descriptor">How to feed it.</param>
    /// <returns>The backbone.</returns>
    public static Backbone FromBytes(byte[] onnxModel, BackboneDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(descriptor);
        var copy = (byte[])onnxModel.Clone();
        return new Backbone(descriptor, () => copy, "(in memory)");
    }

    /// <summary>
    /// Quantizes this backbone to int8 (static, QDQ): BatchNorm folded into the Convs, activations uint8 asymmetric per
    /// tensor with ranges calibrated by running the fp32 graph over a stratified sample of <paramref name="images"/>
    /// (percentile or entropy), Conv weights int8 symmetric per output channel; the preprocessing stays fp32. Then the
    /// accuracy guard compares int8 and fp32 features on held-out images and warns or refuses past the thresholds set.
    /// The result has its own name (<c>…-int8</c>) and fingerprint, so cached fp32 and int8 vectors never mix.
    /// </summary>
    /// <param name="images">The images to sample from, typically the training set.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives progress per calibration batch.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The int8 backbone; its <see cref="Quantization"/> holds the report.</returns>
    /// <exception cref="ArgumentException">The options are invalid or the set is empty.</exception>
    /// <exception cref="InvalidOperationException">This backbone is already quantized.</exception>
    /// <exception cref="InvalidImageException">A calibration image cannot be decoded.</exception>
    /// <exception cref="QuantizationAccuracyException">The guard missed a threshold and <see cref="QuantizationOptions.GuardAction"/> is <see cref="AccuracyGuardAction.Refuse"/>.</exception>
    public Task<Backbone> QuantizeAsync(ImageSet images, QuantizationOptions? options = null, IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        options ??= new QuantizationOptions();
        options.Validate();
        if (IsQuantized)
        {
            throw new InvalidOperationException($"Backbone \"{Name}\" is already int8; quantize the floating-point backbone it came from.");
        }

        return BackboneQuantizer.QuantizeAsync(this, images, options, progress, cancellationToken);
    }

    /// <summary>
    /// Quantizes this backbone to int8 and waits for it: the blocking form of <see cref="QuantizeAsync"/>, for
    /// <c>WithBackbone(Backbones.ResNet18.Quantize(trainingImages))</c>.
    /// </summary>
    /// <param name="images">The images to sample from, typically the training set.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The int8 backbone.</returns>
    /// <exception cref="ArgumentException">The options are invalid or the set is empty.</exception>
    /// <exception cref="QuantizationAccuracyException">The guard missed a threshold and <see cref="QuantizationOptions.GuardAction"/> is <see cref="AccuracyGuardAction.Refuse"/>.</exception>
    public Backbone Quantize(ImageSet images, QuantizationOptions? options = null) => QuantizeAsync(images, options).GetAwaiter().GetResult();

    /// <summary>
    /// Returns this backbone fed at another input size, for CNNs whose features are globally average-pooled (ResNets and
    /// most classifiers): the graph's input takes <paramref name="width"/>×<paramref name="height"/> pixels, the fixed
    /// AveragePool that makes the features becomes a GlobalAveragePool, and a <see cref="BackboneDescriptor.MeanImage"/> is
    /// resized bilinearly (half-pixel centres, as align-corners false). Larger inputs keep more detail of large photos.
    /// The result is named <c>Name@320</c> (<c>Name@320x256</c> when width and height differ) and has its own fingerprint,
    /// so its cached features never mix with this backbone's. The model itself is checked when the graph is built: a model
    /// whose features do not come from an AveragePool or GlobalAveragePool is refused then, naming the node.
    /// </summary>
    /// <param name="width">The input width in pixels, 32 to 1024 (or the model's own width).</param>
    /// <param name="height">The input height in pixels, 32 to 1024 (or the model's own height).</param>
    /// <returns>The backbone at the new size; this backbone's original when the size is its original size.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A side is outside 32–1024.</exception>
    /// <exception cref="InvalidOperationException">This backbone is int8; resize the floating-point backbone, then quantize.</exception>
    public Backbone WithInputSize(int width, int height)
    {
        var original = _resizedFrom ?? this;
        if (width == original.Width && height == original.Height)
        {
            return original;
        }

        CheckSide(width, nameof(width));
        CheckSide(height, nameof(height));
        if (IsQuantized)
        {
            throw new InvalidOperationException($"Backbone \"{Name}\" is int8, calibrated at {Width}×{Height}; call WithInputSize({width}, {height}) on the floating-point backbone, then quantize the result.");
        }

        var d = original.Descriptor;
        var descriptor = d with
        {
            Name = width == height ? $"{d.Name}@{width}" : $"{d.Name}@{width}x{height}",
            Width = width,
            Height = height,
            MeanImage = d.MeanImage is null ? null : BilinearResize.Planes(d.MeanImage, 3, d.Width, d.Height, width, height),
        };
        return new Backbone(descriptor, original._loadModel, original.Source, resizedFrom: original);
    }

    /// <summary>Gets whether the descriptor's input size may differ from the model's own (made by <see cref="WithInputSize"/>).</summary>
    internal bool InputResized { get; }

    /// <summary>Creates an int8 backbone from a quantized model (the backbone part, before preprocessing is added).</summary>
    internal static Backbone FromQuantized(byte[] onnxModel, BackboneDescriptor descriptor, string source, QuantizationReport report, bool inputResized = false) =>
        new(descriptor, () => onnxModel, source, report, inputResized: inputResized);

    /// <summary>
    /// Creates a backbone from a rewrite of a floating-point model (fine-tuned weights written in), with the descriptor's
    /// input size applied as <see cref="WithInputSize"/> would when <paramref name="inputResized"/>.
    /// </summary>
    internal static Backbone FromRewritten(byte[] onnxModel, BackboneDescriptor descriptor, string source, bool inputResized) =>
        new(descriptor, () => onnxModel, source, inputResized: inputResized);

    /// <summary>Parses the backbone's own ONNX model (without the preprocessing prefix).</summary>
    internal ModelProto LoadSourceModel()
    {
        try
        {
            return ModelProto.Parser.ParseFrom(_loadModel());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"Backbone \"{Name}\": \"{Source}\" is not a valid ONNX model ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Builds the ONNX graph Transfer runs: planar A,R,G,B pixels [N, 4, H, W] in 0–255 named <c>Pixels</c> →
    /// features [N, D] named <c>Features</c>, with alpha compositing, channel order and normalisation inside the graph.
    /// </summary>
    /// <param name="preprocessing">Preprocessing settings (the alpha background is part of the graph).</param>
    /// <param name="tta">
    /// Test-time augmentation inside the graph; the default is <see cref="TestTimeAugmentation.None"/>. With
    /// <see cref="TestTimeAugmentation.HorizontalFlip"/> each image also runs mirrored and the features are the mean of
    /// both. It changes neither <see cref="Fingerprint"/> nor <see cref="FeatureSpaceKey(ImagePreprocessing)"/>: cached features stay un-augmented.
    /// </param>
    /// <returns>The serialised ONNX model.</returns>
    /// <exception cref="ArgumentException">The model does not match the descriptor, or <paramref name="tta"/> is not a defined value.</exception>
    public byte[] BuildFeaturizerModel(ImagePreprocessing? preprocessing = null, TestTimeAugmentation tta = TestTimeAugmentation.None) => BuildFeaturizerGraph(preprocessing, tta).ToByteArray();

    /// <summary>The preprocessing-plus-backbone graph as a protobuf message (heads are appended to it).</summary>
    internal ModelProto BuildFeaturizerGraph(ImagePreprocessing? preprocessing, TestTimeAugmentation tta = TestTimeAugmentation.None)
    {
        if (!Enum.IsDefined(tta))
        {
            throw new ArgumentException($"Test-time augmentation {(int)tta} is not a TestTimeAugmentation value. Pass None or HorizontalFlip.", nameof(tta));
        }

        preprocessing ??= ImagePreprocessing.Default;
        ModelProto source;
        try
        {
            source = ModelProto.Parser.ParseFrom(_loadModel());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"Backbone \"{Name}\": \"{Source}\" is not a valid ONNX model ({e.Message}).", e);
        }

        return BackboneGraph.Build(source, Descriptor, preprocessing.AlphaBackground, InputResized, tta);
    }

    /// <summary>The key of the feature space: backbone fingerprint plus the preprocessing that changes pixels.</summary>
    /// <param name="preprocessing">The preprocessing settings.</param>
    /// <returns>A stable text key.</returns>
    public string FeatureSpaceKey(ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        return $"{Fingerprint[..16]}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Fingerprint + "|" + preprocessing.CanonicalKey())))[..16]}".ToLowerInvariant();
    }

    /// <summary>The key of the feature space of an augmented view: backbone fingerprint, preprocessing and the view's canonical key.</summary>
    /// <param name="preprocessing">The preprocessing settings.</param>
    /// <param name="view">The view; <see langword="null"/> for the plain key of <see cref="FeatureSpaceKey(ImagePreprocessing)"/>.</param>
    /// <returns>A stable text key, different for every view and seed.</returns>
    internal string FeatureSpaceKey(ImagePreprocessing preprocessing, AugmentationView? view)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (view is null)
        {
            return FeatureSpaceKey(preprocessing);
        }

        return $"{Fingerprint[..16]}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Fingerprint + "|" + preprocessing.CanonicalKey() + "|view=" + view.CanonicalKey())))[..16]}".ToLowerInvariant();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Width}×{Height} → {FeatureLength})";

    private static void CheckSide(int value, string name)
    {
        if (value is < MinInputSide or > MaxInputSide)
        {
            throw new ArgumentOutOfRangeException(name, value, $"WithInputSize {name} must be {MinInputSide} to {MaxInputSide} pixels, was {value}. Pass a size in that range (e.g. 224, 288 or 320 for ResNet18).");
        }
    }

    private string ComputeFingerprint()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_loadModel());
        sha.AppendData(Encoding.UTF8.GetBytes("|" + Descriptor.CanonicalKey()));
        if (Quantization is not null)
        {
            sha.AppendData(Encoding.UTF8.GetBytes("|int8|" + Quantization.Settings));
        }

        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
