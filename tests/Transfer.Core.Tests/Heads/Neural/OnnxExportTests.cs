using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Transfer.Featurization;
using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

public class OnnxExportTests
{
    private static readonly FeatureMatrix Train = SyntheticFeatures.Blobs(800, 16, 5, seed: 21, spread: 2.0);
    private static readonly FeatureMatrix Test = SyntheticFeatures.Blobs(64, 16, 5, seed: 21, spread: 2.0, noiseSeed: 22);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AppendToOnnx_RunWithOnnxRuntime_MatchesPredictWithin1e5(bool mlp)
    {
        var options = new NeuralHeadOptions { Epochs = 4, HiddenLayers = [12, 7], Seed = 3 };
        TrainedNeuralHead trained = (mlp ? (NeuralHead)new MlpHead(options) : new SoftmaxHead(options)).TrainedOn(Train);

        var graph = new GraphProto { Name = "head_only" };
        graph.Input.Add(TensorInfo("features", trained.FeatureDimension));
        graph.Output.Add(TensorInfo("probabilities", trained.ClassCount));
        trained.AppendToOnnx(graph, "features", "probabilities");
        var model = new ModelProto { IrVersion = 8, ProducerName = "Transfer.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        string path = Path.Combine(Path.GetTempPath(), $"transfer-head-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        try
        {
            using var session = new InferenceSession(path);
            var input = new DenseTensor<float>(Test.Values.AsMemory(0, Test.Count * Test.Dimension), [Test.Count, Test.Dimension]);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
            float[] onnx = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
            float[] expected = trained.Predict(Test);
            Assert.Equal(expected.Length, onnx.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - onnx[i]) <= 1e-5, $"probability {i}: Predict {expected[i]}, ONNX Runtime {onnx[i]}");
            }
        }
        finally
        {
            File.Delete(path);
        }

        int gemms = graph.Node.Count(n => n.OpType == "Gemm");
        Assert.Equal(mlp ? 3 : 1, gemms);
        Assert.Equal(mlp ? 2 : 0, graph.Node.Count(n => n.OpType == "Relu"));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Dropout");
    }

    [Fact]
    public void AppendToOnnx_NameAlreadyUsed_ThrowsNamingTheClash()
    {
        TrainedNeuralHead trained = new SoftmaxHead(new NeuralHeadOptions { Epochs = 1 }).TrainedOn(Train);
        var graph = new GraphProto();
        graph.Input.Add(TensorInfo("features", 16));
        trained.AppendToOnnx(graph, "features", "probabilities");
        var error = Assert.Throws<ArgumentException>(() => trained.AppendToOnnx(graph, "features", "probabilities"));
        Assert.StartsWith("The graph already uses the names head_dense0_weight, head_dense0_bias, head_dense0, head_dense0_output, head_softmax, probabilities; pass another namePrefix (was \"head\")", error.Message, StringComparison.Ordinal);
        trained.AppendToOnnx(graph, "features", "probabilities2", "second");
        Assert.Equal(4, graph.Node.Count);
    }

    private static ValueInfoProto TensorInfo(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
