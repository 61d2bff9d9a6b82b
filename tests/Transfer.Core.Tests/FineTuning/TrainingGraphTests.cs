using Onnx;
using Transfer.FineTuning;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>The whole training step (blocks, pooling, L2 normalisation, head, softmax cross-entropy) against finite differences in float64.</summary>
public sealed class TrainingGraphTests
{
    private const int Rows = 5;

    /// <summary>Two blocks shaped like ResNet18's layer4 (stride-2 entry with pads [1, 1, 0, 0] and a projected shortcut, then an identity block), scaled down.</summary>
    internal static TunedNetwork SmallStage(bool normalize, int frozen, int classes = 3) => new(
        4,
        6,
        6,
        [
            new ResidualBlock(new ConvolutionLayer(4, 6, 3, 2, new Pads4(1, 1, 0, 0)), new ConvolutionLayer(6, 6, 3, 1, new Pads4(1, 1, 1, 1)), new ConvolutionLayer(4, 6, 1, 2, default)),
            new ResidualBlock(new ConvolutionLayer(6, 6, 3, 1, new Pads4(1, 1, 1, 1)), new ConvolutionLayer(6, 6, 3, 1, new Pads4(1, 1, 1, 1)), null),
        ],
        normalize,
        frozen,
        classes);

    [Theory]
    [InlineData(true, 3)] // resnet18-ms: L2-normalised tuned block, frozen stage appended
    [InlineData(false, 0)] // resnet18: the pooled block alone
    [InlineData(true, 0)]
    public void Gradients_EveryParameter_MatchFiniteDifferences(bool normalize, int frozen)
    {
        var network = SmallStage(normalize, frozen);
        using var runner = new GraphRunner(TrainingGraph.Build(network, gradients: true, TensorProto.Types.DataType.Double));
        var inputs = Inputs(network, new Random(1));
        var outputs = runner.Run(inputs);

        Assert.True(outputs[TrainingGraph.LossOutput][0] > 0);
        foreach (var p in network.Parameters)
        {
            double worst = runner.WorstGradientError(inputs, p.Name, outputs[p.GradientName], TrainingGraph.LossOutput);
            Assert.True(worst < 1e-5, $"{p.Name}: worst relative error {worst:E2}");
        }
    }

    [Fact]
    public void Gradients_ThreeIdentityBlocks_MatchFiniteDifferences()
    {
        // Input gradients flow through two blocks here (the sum of the first convolution's and the identity shortcut's).
        var conv = new ConvolutionLayer(5, 5, 3, 1, new Pads4(1, 1, 1, 1));
        var network = new TunedNetwork(5, 4, 4, [new ResidualBlock(conv, conv, null), new ResidualBlock(conv, conv, null), new ResidualBlock(conv, conv, null)], true, 2, 4);
        using var runner = new GraphRunner(TrainingGraph.Build(network, gradients: true, TensorProto.Types.DataType.Double));
        var inputs = Inputs(network, new Random(2));
        var outputs = runner.Run(inputs);

        foreach (var p in network.Parameters)
        {
            double worst = runner.WorstGradientError(inputs, p.Name, outputs[p.GradientName], TrainingGraph.LossOutput);
            Assert.True(worst < 1e-5, $"{p.Name}: worst relative error {worst:E2}");
        }
    }

    [Fact]
    public void Float32Graph_SameInputs_AgreesWithFloat64()
    {
        var network = SmallStage(normalize: true, frozen: 3);
        using var doubles = new GraphRunner(TrainingGraph.Build(network, gradients: true, TensorProto.Types.DataType.Double));
        using var floats = new GraphRunner(TrainingGraph.Build(network, gradients: true));
        var inputs = Inputs(network, new Random(3));
        var exact = doubles.Run(inputs);
        var single = floats.Run(inputs, asFloat: true);

        foreach (var p in network.Parameters)
        {
            var a = exact[p.GradientName];
            var b = single[p.GradientName];
            double scale = a.Max(Math.Abs);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * scale, $"{p.Name}[{i}]: float64 {a[i]}, float32 {b[i]}");
            }
        }
    }

    [Fact]
    public void OneStep_AgainstTheGradient_LowersTheLoss()
    {
        var network = SmallStage(normalize: true, frozen: 3);
        using var runner = new GraphRunner(TrainingGraph.Build(network, gradients: true));
        var inputs = Inputs(network, new Random(4));
        var before = runner.Run(inputs, asFloat: true);
        foreach (var p in network.Parameters)
        {
            var values = inputs[p.Name].Values;
            var gradient = before[p.GradientName];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] -= 0.05 * gradient[i];
            }
        }

        var after = runner.Run(inputs, asFloat: true);

        Assert.True(after[TrainingGraph.LossOutput][0] < before[TrainingGraph.LossOutput][0] - 1e-4, $"loss {before[TrainingGraph.LossOutput][0]} → {after[TrainingGraph.LossOutput][0]}");
    }

    [Fact]
    public void ForwardOnly_HasNoGradientOutputs_AndTheSameLogProbabilities()
    {
        var network = SmallStage(normalize: true, frozen: 3);
        using var forward = new GraphRunner(TrainingGraph.Build(network, gradients: false, TensorProto.Types.DataType.Double));
        using var full = new GraphRunner(TrainingGraph.Build(network, gradients: true, TensorProto.Types.DataType.Double));
        var inputs = Inputs(network, new Random(6));
        var a = forward.Run(inputs);
        var b = full.Run(inputs);

        Assert.Equal([TrainingGraph.LogProbabilitiesOutput, TrainingGraph.FeaturesOutput, TrainingGraph.LossOutput], a.Keys.ToArray());
        Assert.Equal(b[TrainingGraph.LogProbabilitiesOutput], a[TrainingGraph.LogProbabilitiesOutput]);
    }

    internal static Dictionary<string, (double[] Values, long[] Dims)> Inputs(TunedNetwork network, Random random)
    {
        var inputs = new Dictionary<string, (double[] Values, long[] Dims)>(StringComparer.Ordinal);
        var trunk = GraphRunner.Random(random, Rows * network.TrunkLength, 1, 0.3);
        inputs[TrainingGraph.TrunkInput] = (trunk, [Rows, network.TrunkLength]);
        var targets = new double[Rows * network.Classes];
        for (int i = 0; i < Rows; i++)
        {
            targets[(i * network.Classes) + (i % network.Classes)] = 1;
        }

        inputs[TrainingGraph.TargetsInput] = (targets, [Rows, network.Classes]);
        inputs[TrainingGraph.RowWeightsInput] = (Enumerable.Repeat(1.0 / Rows, Rows).ToArray(), [Rows, 1]);
        foreach (var p in network.Parameters)
        {
            inputs[p.Name] = (GraphRunner.Random(random, p.Length, p.IsWeight ? 0.4 : 0.1), p.Dims);
        }

        return inputs;
    }
}
