using Google.Protobuf;
using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;

namespace Transfer.FineTuning;

/// <summary>
/// A backbone cut where the tuned part begins. BatchNorm is folded into the convolutions first (frozen, as in
/// inference mode); then the residual blocks at the top are found by walking back from the final pooling, the
/// <see cref="Trunk"/> keeps everything before them, and the blocks' weights become trainable tensors. After training,
/// <see cref="WithWeights"/> writes them back into the folded model: an ordinary backbone with its own fingerprint.
/// </summary>
internal sealed partial class BackboneSplit
{
    private readonly ModelProto _folded;
    private readonly IReadOnlyList<TunedConvolution> _convolutions;

    private BackboneSplit(Backbone source, ModelProto folded, IReadOnlyList<ResidualBlock> blocks, IReadOnlyList<TunedConvolution> convolutions, Backbone trunk, (int C, int H, int W) input, int frozenLength)
    {
        Source = source;
        _folded = folded;
        Blocks = blocks;
        _convolutions = convolutions;
        Trunk = trunk;
        (InputChannels, InputHeight, InputWidth) = input;
        FrozenLength = frozenLength;
    }

    /// <summary>Gets the frozen backbone that was cut.</summary>
    public Backbone Source { get; }

    /// <summary>
    /// Gets the frozen part as a backbone of its own: pixels → one row per image holding the activation map entering the
    /// tuned part (C, H, W order), then the frozen feature blocks (the other pooled stages, normalised as the source
    /// backbone normalises them). Its fingerprint differs from the source's, so its rows are cached apart.
    /// </summary>
    public Backbone Trunk { get; }

    /// <summary>Gets the tuned blocks, input first.</summary>
    public IReadOnlyList<ResidualBlock> Blocks { get; }

    /// <summary>Gets the channels of the activation map entering the tuned part.</summary>
    public int InputChannels { get; }

    /// <summary>Gets its height.</summary>
    public int InputHeight { get; }

    /// <summary>Gets its width.</summary>
    public int InputWidth { get; }

    /// <summary>Gets the length of the frozen features after the tuned block.</summary>
    public int FrozenLength { get; }

    /// <summary>Gets the number of backbone parameters trained (weights and biases of every tuned convolution).</summary>
    public int ParameterCount => _convolutions.Sum(c => c.Layer.WeightLength + c.Layer.OutChannels);

    /// <summary>Cuts <paramref name="backbone"/> below its last residual stage, or its last block.</summary>
    /// <exception cref="ArgumentException">The backbone is int8, or its top is not a chain of residual blocks ending in a global average pool.</exception>
    /// <exception cref="NotSupportedException">A convolution the training graph cannot differentiate (groups, dilation, a stride inside the tuned part).</exception>
    public static BackboneSplit Cut(Backbone backbone, TunedLayers layers)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (backbone.IsQuantized)
        {
            throw new ArgumentException($"Backbone \"{backbone.Name}\" is int8; fine-tune the floating-point backbone, then quantize the result.", nameof(backbone));
        }

        var (folded, _) = BatchNormFolding.Fold(backbone.LoadSourceModel());
        var d = backbone.Descriptor;
        var g = folded.Graph;
        var producers = GraphTools.Producers(g);
        var initializers = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        string top = PooledTensor(d, producers);
        var parsed = FindBlocks(backbone.Name, top, producers, layers);
        CheckSelfContained(backbone.Name, d, g, parsed, top);

        var blocks = new List<ResidualBlock>();
        var convolutions = new List<TunedConvolution>();
        foreach (var block in parsed)
        {
            var first = Convolution(backbone.Name, block.First, initializers);
            var second = Convolution(backbone.Name, block.Second, initializers);
            var shortcut = block.Shortcut is null ? null : Convolution(backbone.Name, block.Shortcut, initializers);
            blocks.Add(new ResidualBlock(first.Layer, second.Layer, shortcut?.Layer));
            convolutions.Add(first);
            convolutions.Add(second);
            if (shortcut is not null)
            {
                convolutions.Add(shortcut);
            }
        }

        string cut = parsed[0].Input;
        var (trunk, input, frozenLength) = BuildTrunk(backbone, folded, cut);
        return new BackboneSplit(backbone, folded, blocks, convolutions, trunk, input, frozenLength);
    }

    /// <summary>The network to train with a head of <paramref name="classes"/> classes.</summary>
    public TunedNetwork Network(int classes) =>
        new(InputChannels, InputHeight, InputWidth, Blocks, Source.Descriptor.FeatureNormalization == FeatureNormalization.L2, FrozenLength, classes);

    /// <summary>The tuned convolutions' weights (column layout) and biases as the source backbone has them, in <see cref="TunedNetwork.Parameters"/> order.</summary>
    public float[] InitialParameters()
    {
        var parameters = new float[ParameterCount];
        int offset = 0;
        var initializers = _folded.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var c in _convolutions)
        {
            c.Layer.ToColumns(BackboneGraph.ReadFloats(initializers[c.WeightName])).CopyTo(parameters, offset);
            offset += c.Layer.WeightLength;
            BackboneGraph.ReadFloats(initializers[c.BiasName]).CopyTo(parameters, offset);
            offset += c.Layer.OutChannels;
        }

        return parameters;
    }

    /// <summary>
    /// The source backbone with the tuned weights written in (BatchNorm folded): same descriptor and preprocessing, named
    /// <c>{name}-ft</c>, with a fingerprint of its own. Every other tensor is the folded source's, bit for bit.
    /// </summary>
    /// <param name="parameters">The backbone parameters in <see cref="TunedNetwork.Parameters"/> order (as <see cref="InitialParameters"/>).</param>
    public Backbone WithWeights(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"Expected {ParameterCount} backbone parameters, got {parameters.Length}.", nameof(parameters));
        }

        var model = _folded.Clone();
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        int offset = 0;
        foreach (var c in _convolutions)
        {
            Overwrite(initializers[c.WeightName], c.Layer.FromColumns(parameters.Slice(offset, c.Layer.WeightLength)));
            offset += c.Layer.WeightLength;
            Overwrite(initializers[c.BiasName], parameters.Slice(offset, c.Layer.OutChannels));
            offset += c.Layer.OutChannels;
        }

        var d = Source.Descriptor;
        return Backbone.FromRewritten(model.ToByteArray(), d with { Name = $"{d.Name}-ft" }, $"fine-tuned {Source.Source}", Source.InputResized);
    }

    private static void Overwrite(TensorProto tensor, ReadOnlySpan<float> values)
    {
        tensor.FloatData.Clear();
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>A tuned convolution: its layer and the folded model's initializers holding its weight and bias.</summary>
    private sealed record TunedConvolution(ConvolutionLayer Layer, string WeightName, string BiasName);
}
