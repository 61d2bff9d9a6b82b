using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Onnx;
using Transfer.Images;

namespace Transfer.Backbones;

/// <summary>
/// A pretrained CNN used as a frozen feature extractor: an ONNX model plus the <see cref="BackboneDescriptor"/> that
/// says how to feed it. Immutable and shareable; sessions are created by the featurizer and the predictor.
/// </summary>
public sealed class Backbone
{
    private readonly Func<byte[]> _loadModel;
    private readonly Lazy<string> _fingerprint;

    private Backbone(BackboneDescriptor descriptor, Func<byte[]> loadModel, string source)
    {
        descriptor.Validate();
        Descriptor = descriptor;
        _loadModel = loadModel;
        Source = source;
        _fingerprint = new Lazy<string>(ComputeFingerprint);
    }

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
    /// Builds the ONNX graph Transfer runs: planar A,R,G,B pixels [N, 4, H, W] in 0–255 named <c>Pixels</c> →
    /// features [N, D] named <c>Features</c>, with alpha compositing, channel order and normalisation inside the graph.
    /// </summary>
    /// <param name="preprocessing">Preprocessing settings (the alpha background is part of the graph).</param>
    /// <returns>The serialised ONNX model.</returns>
    /// <exception cref="ArgumentException">The model does not match the descriptor.</exception>
    public byte[] BuildFeaturizerModel(ImagePreprocessing? preprocessing = null) => BuildFeaturizerGraph(preprocessing).ToByteArray();

    /// <summary>The preprocessing-plus-backbone graph as a protobuf message (heads are appended to it).</summary>
    internal ModelProto BuildFeaturizerGraph(ImagePreprocessing? preprocessing)
    {
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

        return BackboneGraph.Build(source, Descriptor, preprocessing.AlphaBackground);
    }

    /// <summary>The key of the feature space: backbone fingerprint plus the preprocessing that changes pixels.</summary>
    /// <param name="preprocessing">The preprocessing settings.</param>
    /// <returns>A stable text key.</returns>
    public string FeatureSpaceKey(ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        return $"{Fingerprint[..16]}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Fingerprint + "|" + preprocessing.CanonicalKey())))[..16]}".ToLowerInvariant();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Width}×{Height} → {FeatureLength})";

    private string ComputeFingerprint()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_loadModel());
        sha.AppendData(Encoding.UTF8.GetBytes("|" + Descriptor.CanonicalKey()));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
