using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Transfer.Core.Tests.OnnxNodes;
using Transfer.Backbones;

namespace Transfer.Core.Tests.Backbones.Quantization;

/// <summary>A small real CNN built in code (Conv → BatchNorm → Relu → MaxPool → Conv → BatchNorm → Add → Relu → AveragePool), run by ONNX Runtime.</summary>
internal static class TinyCnn
{
    public const int Size = 8;

    public static ModelProto Create(int seed = 7)
    {
        var random = new Random(seed);
        float[] Values(int n, double scale, double offset = 0) => [.. Enumerable.Range(0, n).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale + offset))];
        var g = new GraphProto { Name = "tiny" };
        g.Input.Add(BackboneGraph.TensorInfo("x", [1, 3, Size, Size]));
        g.Output.Add(BackboneGraph.TensorInfo("y", [1, 4, 1, 1]));
        g.Initializer.Add(BackboneGraph.Floats("w1", [4, 3, 3, 3], Values(108, 0.5)));
        g.Initializer.Add(BackboneGraph.Floats("w2", [4, 4, 3, 3], Values(144, 0.3)));
        foreach (var bn in new[] { "bn1", "bn2" })
        {
            g.Initializer.Add(BackboneGraph.Floats($"{bn}_gamma", [4], Values(4, 0.5, 1)));
            g.Initializer.Add(BackboneGraph.Floats($"{bn}_beta", [4], Values(4, 0.2)));
            g.Initializer.Add(BackboneGraph.Floats($"{bn}_mean", [4], Values(4, 0.3)));
            g.Initializer.Add(BackboneGraph.Floats($"{bn}_var", [4], Values(4, 0.4, 1)));
        }

        g.Node.Add(Node("Conv", "conv1", ["x", "w1"], ["c1"], ("pads", [1, 1, 1, 1]), ("kernel_shape", [3, 3])));
        g.Node.Add(Bn("bn1", "c1", "b1"));
        g.Node.Add(Node("Relu", "relu1", ["b1"], ["r1"]));
        g.Node.Add(Node("MaxPool", "pool1", ["r1"], ["p1"], ("kernel_shape", [2, 2]), ("strides", [2, 2])));
        g.Node.Add(Node("Conv", "conv2", ["p1", "w2"], ["c2"], ("pads", [1, 1, 1, 1]), ("kernel_shape", [3, 3])));
        g.Node.Add(Bn("bn2", "c2", "b2"));
        g.Node.Add(Node("Add", "add", ["b2", "p1"], ["a"]));
        g.Node.Add(Node("Relu", "relu2", ["a"], ["r2"]));
        g.Node.Add(Node("AveragePool", "gap", ["r2"], ["y"], ("kernel_shape", [Size / 2, Size / 2])));
        var model = new ModelProto { IrVersion = 7, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model;
    }

    public static float[] Input(int seed, int count = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count * 3 * Size * Size).Select(_ => (float)((random.NextDouble() * 4) - 1.5))];
    }

    public static float[] Run(ModelProto model, float[] input, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var x = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Size, Size]);
        using var outputs = session.Run(new RunOptions(), ["x"], [x], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static NodeProto Bn(string name, string input, string output)
    {
        var n = Node("BatchNormalization", name, [input, $"{name}_gamma", $"{name}_beta", $"{name}_mean", $"{name}_var"], [output]);
        n.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f });
        return n;
    }
}
