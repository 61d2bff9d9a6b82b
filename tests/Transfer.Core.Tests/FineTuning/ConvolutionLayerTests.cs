using Onnx;
using Transfer.FineTuning;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>Each convolution of the training graph alone: forward against ONNX Runtime's own Conv, gradients against finite differences (float64).</summary>
public sealed class ConvolutionLayerTests
{
    private const int Batch = 2;

    public static TheoryData<int, int, int[]> Shapes => new()
    {
        { 3, 1, [1, 1, 1, 1] },
        { 3, 2, [1, 1, 0, 0] }, // ResNet18's layer4 entry (14 → 7)
        { 1, 2, [0, 0, 0, 0] }, // its projected shortcut
        { 3, 1, [0, 1, 2, 1] },
        { 1, 1, [0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_AnyShape_EqualsOnnxRuntimeConv(int kernel, int stride, int[] pads)
    {
        var layer = new ConvolutionLayer(3, 4, kernel, stride, new Pads4(pads[0], pads[1], pads[2], pads[3]));
        const int h = 6, w = 5;
        var random = new Random(3);
        var x = GraphRunner.Random(random, Batch * 3 * h * w, 1); // NCHW
        var onnxWeight = GraphRunner.Random(random, layer.WeightLength, 0.5);
        var bias = GraphRunner.Random(random, 4, 0.5);
        int ho = layer.OutputSize(h, height: true), wo = layer.OutputSize(w, height: false);

        var reference = new OnnxGraphBuilder("conv");
        reference.Input("x", Batch, 3, h, w);
        reference.Input("w", 4, 3, kernel, kernel);
        reference.Input("b", 4);
        reference.Output("y", reference.Node("Conv", ["x", "w", "b"], OnnxGraphBuilder.Attribute.Ints("kernel_shape", [kernel, kernel]), OnnxGraphBuilder.Attribute.Ints("strides", [stride, stride]), OnnxGraphBuilder.Attribute.Ints("pads", [.. pads.Select(p => (long)p)])), Batch, 4, ho, wo);
        using var conv = new GraphRunner(reference.ToModel());
        var expected = conv.Run(new Dictionary<string, (double[], long[])> { ["x"] = (x, [Batch, 3, h, w]), ["w"] = (onnxWeight, [4, 3, kernel, kernel]), ["b"] = (bias, [4]) }, asFloat: true)["y"];

        var g = new OnnxGraphBuilder("im2col", TensorProto.Types.DataType.Double);
        g.Input("x", Batch, 3, h, w);
        g.Input("w", layer.ColumnLength, 4);
        g.Input("b", 4);
        var (_, y) = layer.Forward(g, g.Transpose("x", 2, 3, 0, 1), h, w, "w", "b");
        g.Output("y", g.Transpose(g.Reshape(y, ho, wo, Batch, 4), 2, 3, 0, 1), Batch, 4, ho, wo);
        using var im2col = new GraphRunner(g.ToModel());
        var columns = layer.ToColumns([.. onnxWeight.Select(v => (float)v)]).Select(v => (double)v).ToArray();
        var actual = im2col.Run(new Dictionary<string, (double[], long[])> { ["x"] = (x, [Batch, 3, h, w]), ["w"] = (columns, [layer.ColumnLength, 4]), ["b"] = (bias, [4]) })["y"];

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4 * (1 + Math.Abs(expected[i])), $"output {i}: Conv {expected[i]}, im2col {actual[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gradients_AnyShape_MatchFiniteDifferences(int kernel, int stride, int[] pads)
    {
        var layer = new ConvolutionLayer(3, 4, kernel, stride, new Pads4(pads[0], pads[1], pads[2], pads[3]));
        const int h = 6, w = 5;
        int ho = layer.OutputSize(h, height: true), wo = layer.OutputSize(w, height: false);
        bool inputGradient = stride == 1;

        // loss = Σ r ⊙ conv(x): its gradient with respect to the output is r, so each gradient is checked alone.
        var g = new OnnxGraphBuilder("conv_gradients", TensorProto.Types.DataType.Double);
        g.Input("x", h, w, Batch, 3);
        g.Input("w", layer.ColumnLength, 4);
        g.Input("b", 4);
        g.Input("r", ho * wo * Batch, 4);
        var (columns, y) = layer.Forward(g, "x", h, w, "w", "b");
        g.Output("loss", g.ReduceSum(g.Mul(y, "r"), [0, 1]));
        var (dw, db) = ConvolutionLayer.ParameterGradients(g, columns, "r");
        g.Output("dw", dw, layer.ColumnLength, 4);
        g.Output("db", db, 4);
        if (inputGradient)
        {
            g.Output("dx", layer.InputGradient(g, g.Reshape("r", ho, wo, -1, 4), ho, wo, "w"), h, w, Batch, 3);
        }

        using var runner = new GraphRunner(g.ToModel());
        var random = new Random(5);
        var inputs = new Dictionary<string, (double[] Values, long[] Dims)>
        {
            ["x"] = (GraphRunner.Random(random, h * w * Batch * 3, 1), [h, w, Batch, 3]),
            ["w"] = (GraphRunner.Random(random, layer.ColumnLength * 4, 0.5), [layer.ColumnLength, 4]),
            ["b"] = (GraphRunner.Random(random, 4, 0.5), [4]),
            ["r"] = (GraphRunner.Random(random, ho * wo * Batch * 4, 1), [ho * wo * Batch, 4]),
        };
        var outputs = runner.Run(inputs);

        Assert.True(runner.WorstGradientError(inputs, "w", outputs["dw"], "loss", spots: 20) < 1e-6, "weight gradient");
        Assert.True(runner.WorstGradientError(inputs, "b", outputs["db"], "loss") < 1e-6, "bias gradient");
        if (inputGradient)
        {
            Assert.True(runner.WorstGradientError(inputs, "x", outputs["dx"], "loss", spots: 40) < 1e-6, "input gradient");
        }
    }

    [Fact]
    public void InputGradient_Stride2_ThrowsSayingToTuneFewerLayers()
    {
        var layer = new ConvolutionLayer(3, 4, 3, 2, new Pads4(1, 1, 0, 0));
        var e = Assert.Throws<NotSupportedException>(() => layer.InputGradient(new OnnxGraphBuilder("g"), "dy", 3, 3, "w"));
        Assert.Equal("The input gradient of a 3×3 convolution with stride 2 and pads [1, 1, 0, 0] is not supported: only stride 1 with pads below the kernel side. Tune fewer layers, so that such a convolution reads the frozen input.", e.Message);
    }

    [Fact]
    public void ToColumns_FromColumns_RoundTrip()
    {
        var layer = new ConvolutionLayer(3, 5, 3, 1, new Pads4(1, 1, 1, 1));
        var weight = Enumerable.Range(0, layer.WeightLength).Select(i => (float)i).ToArray();
        var columns = layer.ToColumns(weight);

        Assert.Equal(weight, layer.FromColumns(columns));
        // W[co = 2, ci = 1, kh = 0, kw = 2] sits at row (0·3 + 2)·3 + 1 = 7, column 2.
        Assert.Equal(weight[(((2 * 3) + 1) * 9) + 2], columns[(7 * 5) + 2]);
    }
}
