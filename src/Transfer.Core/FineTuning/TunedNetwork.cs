namespace Transfer.FineTuning;

/// <summary>
/// What is trained: the residual blocks at the top of the backbone (fed the cached activations that enter them) and a
/// linear softmax head on their pooled output, concatenated with the frozen feature blocks. Shapes and the parameter
/// list, in the order the training graph declares them.
/// </summary>
/// <param name="InputChannels">Channels of the activations entering the first tuned block.</param>
/// <param name="InputHeight">Their height.</param>
/// <param name="InputWidth">Their width.</param>
/// <param name="Blocks">The tuned blocks, input first.</param>
/// <param name="NormalizeTuned">Whether the tuned block's pooled output is divided by its L2 norm (as the backbone's <c>FeatureNormalization.L2</c>).</param>
/// <param name="FrozenLength">Features after the tuned block that stay frozen (other stages pooled in), already normalised; 0 for none.</param>
/// <param name="Classes">Classes of the head.</param>
internal sealed record TunedNetwork(int InputChannels, int InputHeight, int InputWidth, IReadOnlyList<ResidualBlock> Blocks, bool NormalizeTuned, int FrozenLength, int Classes)
{
    /// <summary>The epsilon added to the tuned block's L2 norm; the same as the backbone graph's.</summary>
    public const double L2Epsilon = Backbones.BackboneGraph.L2Epsilon;

    /// <summary>Gets the length of an activation map entering the tuned part: C·H·W.</summary>
    public int InputLength => InputChannels * InputHeight * InputWidth;

    /// <summary>Gets the length of one cached row: the activation map (C, H, W order) then the frozen features.</summary>
    public int TrunkLength => InputLength + FrozenLength;

    /// <summary>Gets the channels of the last block's output (the tuned features).</summary>
    public int TunedLength => Blocks[^1].Second.OutChannels;

    /// <summary>Gets the head's input length: tuned then frozen features.</summary>
    public int FeatureLength => TunedLength + FrozenLength;

    /// <summary>Gets every trained tensor, in graph order: per block the first, second and shortcut convolutions' weights and biases, then the head's weights [classes, features] and biases.</summary>
    public IReadOnlyList<ParameterTensor> Parameters
    {
        get
        {
            var list = new List<ParameterTensor>();
            for (int b = 0; b < Blocks.Count; b++)
            {
                foreach (var (role, conv) in Blocks[b].Convolutions)
                {
                    list.Add(new ParameterTensor($"block{b}.{role}.weight", [conv.ColumnLength, conv.OutChannels], IsBackbone: true, IsWeight: true));
                    list.Add(new ParameterTensor($"block{b}.{role}.bias", [conv.OutChannels], IsBackbone: true, IsWeight: false));
                }
            }

            list.Add(new ParameterTensor(HeadWeight, [Classes, FeatureLength], IsBackbone: false, IsWeight: true));
            list.Add(new ParameterTensor(HeadBias, [Classes], IsBackbone: false, IsWeight: false));
            return list;
        }
    }

    public const string HeadWeight = "head.weight";

    public const string HeadBias = "head.bias";

    /// <summary>The spatial sizes entering each block and leaving the last: (H, W) per block, then the output's.</summary>
    public IReadOnlyList<(int Height, int Width)> Sizes
    {
        get
        {
            var sizes = new List<(int, int)> { (InputHeight, InputWidth) };
            foreach (var block in Blocks)
            {
                var (h, w) = sizes[^1];
                int h1 = block.First.OutputSize(h, height: true);
                int w1 = block.First.OutputSize(w, height: false);
                sizes.Add((block.Second.OutputSize(h1, height: true), block.Second.OutputSize(w1, height: false)));
            }

            return sizes;
        }
    }
}

/// <summary>One BasicBlock: <c>relu(second(relu(first(x))) + shortcut(x))</c>; the shortcut is the identity when <see cref="Shortcut"/> is <see langword="null"/>.</summary>
/// <param name="First">The first convolution (may have a stride).</param>
/// <param name="Second">The second convolution.</param>
/// <param name="Shortcut">The projection of the shortcut (1×1, strided), or <see langword="null"/> for the identity.</param>
internal sealed record ResidualBlock(ConvolutionLayer First, ConvolutionLayer Second, ConvolutionLayer? Shortcut)
{
    /// <summary>Gets the convolutions with their roles, in parameter order.</summary>
    public IEnumerable<(string Role, ConvolutionLayer Layer)> Convolutions
    {
        get
        {
            yield return ("first", First);
            yield return ("second", Second);
            if (Shortcut is not null)
            {
                yield return ("shortcut", Shortcut);
            }
        }
    }
}

/// <summary>A trained tensor of the training graph: its input name, shape, whether it belongs to the backbone and whether weight decay applies.</summary>
internal sealed record ParameterTensor(string Name, long[] Dims, bool IsBackbone, bool IsWeight)
{
    public int Length => (int)Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The graph output holding this tensor's gradient.</summary>
    public string GradientName => "grad." + Name;
}
