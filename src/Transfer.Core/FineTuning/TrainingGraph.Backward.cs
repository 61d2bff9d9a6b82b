namespace Transfer.FineTuning;

/// <summary>The backward pass of <see cref="TrainingGraph"/>.</summary>
internal static partial class TrainingGraph
{
    /// <summary>Writes the gradient of the loss for every parameter; returns parameter name → gradient tensor.</summary>
    private static Dictionary<string, string> Backward(OnnxGraphBuilder g, TunedNetwork network, ForwardPass f)
    {
        var grads = new Dictionary<string, string>(StringComparer.Ordinal);

        // Softmax cross-entropy: ∂loss/∂logits = wᵢ (pᵢ − yᵢ).
        string probabilities = g.Node("Exp", [f.LogProbabilities]);
        string logitsGradient = g.Mul(g.Sub(probabilities, TargetsInput), RowWeightsInput);
        grads[TunedNetwork.HeadWeight] = g.Gemm(logitsGradient, f.Features, transA: true);
        grads[TunedNetwork.HeadBias] = g.ReduceSum(logitsGradient, [0]);
        string featuresGradient = g.Gemm(logitsGradient, TunedNetwork.HeadWeight);
        string tunedGradient = network.FrozenLength == 0 ? featuresGradient : g.Slice(featuresGradient, [0], [network.TunedLength], [1]);

        // L2 normalisation u = p / max(‖p‖, ε): ∂p = (∂u − u (u·∂u)) / ‖p‖ where ‖p‖ > ε, else ∂u / ε.
        string pooledGradient = tunedGradient;
        if (network.NormalizeTuned)
        {
            string along = g.ReduceSum(g.Mul(f.Tuned, tunedGradient), [1], keepDims: true);
            string live = g.Node("Cast", [g.Node("Greater", [f.Norm!, g.Scalar(TunedNetwork.L2Epsilon)])], OnnxGraphBuilder.Attribute.Int("to", (long)g.ElementType));
            pooledGradient = g.Div(g.Sub(tunedGradient, g.Mul(f.Tuned, g.Mul(along, live))), f.SafeNorm!);
        }

        // Global average pool: every position receives ∂p / (H·W), broadcast over [H, W, N, C] by the ReLU mask below.
        var last = f.Blocks[^1];
        string outputGradient = g.Reshape(g.Mul(pooledGradient, g.Scalar(1.0 / (last.OutHeight * last.OutWidth))), 1, 1, -1, network.TunedLength);
        for (int b = network.Blocks.Count - 1; b >= 0; b--)
        {
            var block = network.Blocks[b];
            var t = f.Blocks[b];

            // out = relu(second + shortcut): the sum's gradient is the output's where the output is positive.
            string sum = g.Where(g.Node("Greater", [t.Output, g.Scalar(0)]), outputGradient);
            string sum2d = g.Reshape(sum, -1, block.Second.OutChannels);
            (grads[$"block{b}.second.weight"], grads[$"block{b}.second.bias"]) = ConvolutionLayer.ParameterGradients(g, t.SecondColumns, sum2d);
            string middleGradient = block.Second.InputGradient(g, sum, t.OutHeight, t.OutWidth, $"block{b}.second.weight");
            string first = g.Where(g.Node("Greater", [t.Middle, g.Scalar(0)]), middleGradient);
            string first2d = g.Reshape(first, -1, block.First.OutChannels);
            (grads[$"block{b}.first.weight"], grads[$"block{b}.first.bias"]) = ConvolutionLayer.ParameterGradients(g, t.FirstColumns, first2d);
            if (block.Shortcut is not null)
            {
                (grads[$"block{b}.shortcut.weight"], grads[$"block{b}.shortcut.bias"]) = ConvolutionLayer.ParameterGradients(g, t.ShortcutColumns!, sum2d);
            }

            if (b == 0)
            {
                break; // the first block's input is the frozen trunk's output: no gradient needed
            }

            // The input feeds the first convolution and the shortcut: the two gradients add.
            string inputGradient = block.First.InputGradient(g, first, t.MiddleHeight, t.MiddleWidth, $"block{b}.first.weight");
            string shortcutGradient = block.Shortcut is { } p
                ? p.InputGradient(g, sum, t.OutHeight, t.OutWidth, $"block{b}.shortcut.weight")
                : sum;
            outputGradient = g.Add(inputGradient, shortcutGradient);
        }

        return grads;
    }
}
