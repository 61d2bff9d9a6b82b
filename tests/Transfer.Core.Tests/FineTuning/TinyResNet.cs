using Google.Protobuf;
using Onnx;
using static Transfer.Core.Tests.OnnxNodes;
using Transfer.Backbones;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>
/// A small ResNet built in code with ResNet18's layout at the top: a stem, stage A (one identity block, 4 channels,
/// 8×8), stage B (a block entering with a stride-2 3×3 convolution padded [1, 1, 0, 0] and a projected 1×1 shortcut,
/// then an identity block; 6 channels, 4×4), every convolution followed by BatchNormalization, then a 4×4 AveragePool.
/// Public types only, so the pipeline tests link this file too.
/// </summary>
internal static class TinyResNet
{
    public const int Size = 16;

    public static Backbone Plain { get; } = Backbone.FromBytes(Create().ToByteArray(), Descriptor());

    /// <summary>As <c>resnet18-ms</c>: stage A pooled in, each block L2-normalised.</summary>
    public static Backbone MultiStage { get; } = Backbone.FromBytes(Create().ToByteArray(), Descriptor() with
    {
        Name = "TinyResNet-MS",
        PooledOutputs = ["stageA"],
        FeatureNormalization = FeatureNormalization.L2,
        FeatureLength = 10,
    });

    public static BackboneDescriptor Descriptor() => new()
    {
        Name = "TinyResNet",
        InputName = "x",
        OutputName = "y",
        Width = Size,
        Height = Size,
        FeatureLength = 6,
        PixelScale = 1 / 255f,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.25f, 0.25f, 0.25f],
    };

    public static ModelProto Create(int seed = 11)
    {
        var random = new Random(seed);
        var g = new GraphProto { Name = "tiny_resnet" };
        g.Input.Add(TensorInfo("x", [1, 3, Size, Size]));
        g.Output.Add(TensorInfo("y", [1, 6, 1, 1]));
        string Conv(string name, string input, int cin, int cout, int k, int stride, long[] pads)
        {
            double scale = 1.5 / Math.Sqrt(cin * k * k);
            g.Initializer.Add(Floats($"{name}_w", [cout, cin, k, k], Values(random, cout * cin * k * k, scale)));
            g.Node.Add(Node("Conv", name, [input, $"{name}_w"], [$"{name}_out"], ("kernel_shape", [k, k]), ("strides", [stride, stride]), ("pads", pads)));
            g.Initializer.Add(Floats($"{name}_gamma", [cout], Values(random, cout, 0.3, 1)));
            g.Initializer.Add(Floats($"{name}_beta", [cout], Values(random, cout, 0.2)));
            g.Initializer.Add(Floats($"{name}_mean", [cout], Values(random, cout, 0.2)));
            g.Initializer.Add(Floats($"{name}_var", [cout], Values(random, cout, 0.3, 1)));
            var bn = Node("BatchNormalization", $"{name}_bn", [$"{name}_out", $"{name}_gamma", $"{name}_beta", $"{name}_mean", $"{name}_var"], [$"{name}_bn_out"]);
            bn.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f });
            g.Node.Add(bn);
            return $"{name}_bn_out";
        }

        string Relu(string name, string input)
        {
            g.Node.Add(Node("Relu", name, [input], [name]));
            return name;
        }

        string Add(string name, string a, string b)
        {
            g.Node.Add(Node("Add", name, [a, b], [name]));
            return name;
        }

        long[] same = [1, 1, 1, 1];
        string stem = Relu("stem", Conv("stem_conv", "x", 3, 4, 3, 2, [1, 1, 0, 0]));
        string a = Relu("a_mid", Conv("a1", stem, 4, 4, 3, 1, same));
        string stageA = Relu("stageA", Add("a_sum", Conv("a2", a, 4, 4, 3, 1, same), stem));
        string b = Relu("b_mid", Conv("b1", stageA, 4, 6, 3, 2, [1, 1, 0, 0]));
        string b1 = Relu("b_out", Add("b_sum", Conv("b2", b, 6, 6, 3, 1, same), Conv("bd", stageA, 4, 6, 1, 2, [0, 0, 0, 0])));
        string c = Relu("c_mid", Conv("c1", b1, 6, 6, 3, 1, same));
        string stageB = Relu("stageB", Add("c_sum", b1, Conv("c2", c, 6, 6, 3, 1, same))); // the residual on the left, as CNTK writes some
        g.Node.Add(Node("AveragePool", "pool", [stageB], ["y"], ("kernel_shape", [4, 4])));
        var model = new ModelProto { IrVersion = 7, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model;
    }

    private static ValueInfoProto TensorInfo(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static TensorProto Floats(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static float[] Values(Random random, int n, double scale, double offset = 0) =>
        [.. Enumerable.Range(0, n).Select(_ => (float)((((random.NextDouble() * 2) - 1) * scale) + offset))];
}
