using Onnx;

namespace Transfer.FineTuning;

/// <summary>
/// Builds the ONNX graph of one training step of a <see cref="TunedNetwork"/>: the forward pass from cached trunk rows to
/// the head's log-probabilities and the weighted cross-entropy, and (with gradients) the backward pass to the gradient
/// of every parameter, written with ordinary ONNX operators so ONNX Runtime's inference build runs it.
/// </summary>
/// <remarks>
/// Inputs: <see cref="TrunkInput"/> [N, C·H·W + frozen], <see cref="TargetsInput"/> one-hot [N, classes],
/// <see cref="RowWeightsInput"/> [N, 1] (1/N each for the mean loss), and every <see cref="TunedNetwork.Parameters"/>
/// tensor. Outputs: <see cref="LogProbabilitiesOutput"/>, <see cref="FeaturesOutput"/> (the head's input),
/// <see cref="LossOutput"/> = −Σᵢ wᵢ log pᵢ[yᵢ], and with gradients each parameter's <see cref="ParameterTensor.GradientName"/>.
/// </remarks>
internal static partial class TrainingGraph
{
    public const string TrunkInput = "trunk";
    public const string TargetsInput = "targets";
    public const string RowWeightsInput = "row_weights";
    public const string LogProbabilitiesOutput = "log_probabilities";
    public const string FeaturesOutput = "features";
    public const string LossOutput = "loss";

    /// <summary>Builds the graph.</summary>
    /// <param name="network">What is trained.</param>
    /// <param name="gradients">Whether to add the backward pass (a validation pass needs only the forward).</param>
    /// <param name="elementType">Float for training; double for gradient checks.</param>
    public static ModelProto Build(TunedNetwork network, bool gradients, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Float)
    {
        var g = new OnnxGraphBuilder("transfer_fine_tuning_step", elementType);
        g.Input(TrunkInput, null, network.TrunkLength);
        g.Input(TargetsInput, null, network.Classes);
        g.Input(RowWeightsInput, null, 1);
        foreach (var p in network.Parameters)
        {
            g.Input(p.Name, [.. p.Dims.Select(d => (long?)d)]);
        }

        var forward = Forward(g, network);
        g.Output(LogProbabilitiesOutput, forward.LogProbabilities, null, network.Classes);
        g.Output(FeaturesOutput, forward.Features, null, network.FeatureLength);
        g.Output(LossOutput, forward.Loss);
        if (gradients)
        {
            var grads = Backward(g, network, forward);
            foreach (var p in network.Parameters)
            {
                g.Output(p.GradientName, grads[p.Name], [.. p.Dims.Select(d => (long?)d)]);
            }
        }

        return g.ToModel();
    }

    /// <summary>The tensors of the forward pass the backward pass reads.</summary>
    private sealed class ForwardPass
    {
        public required List<BlockTensors> Blocks { get; init; }

        public required string Pooled { get; init; }

        public string? Norm { get; init; }

        public string? SafeNorm { get; init; }

        public required string Tuned { get; init; }

        public required string Features { get; init; }

        public required string LogProbabilities { get; init; }

        public required string Loss { get; init; }
    }

    /// <summary>A block's input [H, W, N, C], its intermediate activations and the im2col matrices of its convolutions.</summary>
    private sealed record BlockTensors(string Input, int Height, int Width, string FirstColumns, string Middle, int MiddleHeight, int MiddleWidth, string SecondColumns, string? ShortcutColumns, string Output, int OutHeight, int OutWidth);

    private static ForwardPass Forward(OnnxGraphBuilder g, TunedNetwork network)
    {
        // Trunk rows hold the activation map [C, H, W] then the frozen features: split, then move the batch inside ([H, W, N, C]).
        string map = g.Slice(TrunkInput, [0], [network.InputLength], [1]);
        string x = g.Transpose(g.Reshape(map, -1, network.InputChannels, network.InputHeight, network.InputWidth), 2, 3, 0, 1);
        int h = network.InputHeight;
        int w = network.InputWidth;
        var blocks = new List<BlockTensors>();
        for (int b = 0; b < network.Blocks.Count; b++)
        {
            var block = network.Blocks[b];
            var (firstColumns, first) = block.First.Forward(g, x, h, w, $"block{b}.first.weight", $"block{b}.first.bias");
            int h1 = block.First.OutputSize(h, height: true);
            int w1 = block.First.OutputSize(w, height: false);
            string middle = g.Reshape(g.Node("Relu", [first]), h1, w1, -1, block.First.OutChannels);
            var (secondColumns, second) = block.Second.Forward(g, middle, h1, w1, $"block{b}.second.weight", $"block{b}.second.bias");
            string? shortcutColumns = null;
            string shortcut;
            if (block.Shortcut is { } projection)
            {
                (shortcutColumns, shortcut) = projection.Forward(g, x, h, w, $"block{b}.shortcut.weight", $"block{b}.shortcut.bias");
            }
            else
            {
                shortcut = g.Reshape(x, -1, block.Second.OutChannels);
            }

            int h2 = block.Second.OutputSize(h1, height: true);
            int w2 = block.Second.OutputSize(w1, height: false);
            string output = g.Reshape(g.Node("Relu", [g.Add(second, shortcut)]), h2, w2, -1, block.Second.OutChannels);
            blocks.Add(new BlockTensors(x, h, w, firstColumns, middle, h1, w1, secondColumns, shortcutColumns, output, h2, w2));
            (x, h, w) = (output, h2, w2);
        }

        // Global average pool, then (as the backbone graph) each block divided by max(‖block‖, ε).
        string pooled = g.ReduceMean(x, [0, 1]);
        string tuned = pooled;
        string? norm = null;
        string? safeNorm = null;
        if (network.NormalizeTuned)
        {
            norm = g.Node("ReduceL2", [pooled], OnnxGraphBuilder.Attribute.Ints("axes", [1]), OnnxGraphBuilder.Attribute.Int("keepdims", 1));
            safeNorm = g.Node("Max", [norm, g.Scalar(TunedNetwork.L2Epsilon)]);
            tuned = g.Div(pooled, safeNorm);
        }

        string features = network.FrozenLength == 0 ? tuned : g.Concat([tuned, g.Slice(TrunkInput, [network.InputLength], [network.TrunkLength], [1])], 1);
        string logits = g.Gemm(features, TunedNetwork.HeadWeight, TunedNetwork.HeadBias, transB: true);
        string logProbabilities = g.Node("LogSoftmax", [logits], OnnxGraphBuilder.Attribute.Int("axis", 1));
        string weighted = g.Mul(g.Mul(logProbabilities, TargetsInput), RowWeightsInput);
        string loss = g.Node("Neg", [g.ReduceSum(weighted, [0, 1])]);
        return new ForwardPass
        {
            Blocks = blocks,
            Pooled = pooled,
            Norm = norm,
            SafeNorm = safeNorm,
            Tuned = tuned,
            Features = features,
            LogProbabilities = logProbabilities,
            Loss = loss,
        };
    }
}
