using System.Numerics.Tensors;
using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;

namespace Transfer.Core.Tests.Backbones.Quantization;

public sealed class QdqGraphTests
{
    [Fact]
    public void Fold_ConvBatchNorm_MatchesUnfoldedWithin1e5()
    {
        var model = TinyCnn.Create();
        var (folded, count) = BatchNormFolding.Fold(model);
        Assert.Equal(2, count);
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.DoesNotContain(folded.Graph.Initializer, t => t.Name.StartsWith("bn", StringComparison.Ordinal));
        for (int seed = 0; seed < 5; seed++)
        {
            var input = TinyCnn.Input(seed);
            var expected = TinyCnn.Run(model, input, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
            var actual = TinyCnn.Run(folded, input, Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"seed {seed}, output {i}: {actual[i]} vs {expected[i]}");
            }
        }
    }

    [Fact]
    public void Write_TinyCnn_QdqGraphPassesCheckRunsAndStaysCloseToFp32()
    {
        var (folded, _) = BatchNormFolding.Fold(TinyCnn.Create());
        var plan = QdqPlan.Create(folded.Graph, []);
        Assert.Equal(["x", "r1", "p1", "b2", "r2"], plan.Tensors); // conv1 and add write their Relu's name; the MaxPool output shares r1's range
        Assert.Equal("r1", plan.SharedRange["p1"]);
        var ranges = Calibrate(folded, plan.CalibratedTensors);
        var quantized = QdqGraphWriter.Write(folded, [], ranges, reduceWeightRange: true, searchWeightScales: false, out int convs);
        Assert.Equal(2, convs);
        Assert.Empty(OnnxStructure.Check(quantized));
        Assert.DoesNotContain(quantized.Graph.Node, n => n.OpType == "Relu");
        Assert.Equal(5, quantized.Graph.Node.Count(n => n.OpType == "QuantizeLinear"));
        var w1 = quantized.Graph.Initializer.Single(t => t.Name == "w1_bnfolded_quantized");
        Assert.Equal((int)TensorProto.Types.DataType.Int8, w1.DataType);
        Assert.All(w1.RawData.ToByteArray(), b => Assert.InRange((sbyte)b, -63, 63));

        for (int seed = 10; seed < 14; seed++)
        {
            var input = TinyCnn.Input(seed);
            var fp32 = TinyCnn.Run(folded, input);
            var int8 = TinyCnn.Run(quantized, input);
            float cosine = TensorPrimitives.CosineSimilarity(fp32, int8);
            Assert.True(cosine > 0.99f, $"seed {seed}: cosine {cosine}");
            Assert.NotEqual(fp32, int8);
        }
    }

    [Fact]
    public void Write_KeepConvByName_LeavesItsWeightsFp32()
    {
        var (folded, _) = BatchNormFolding.Fold(TinyCnn.Create());
        var plan = QdqPlan.Create(folded.Graph, ["conv2"]);
        var quantized = QdqGraphWriter.Write(folded, ["conv2"], Calibrate(folded, plan.CalibratedTensors), reduceWeightRange: false, searchWeightScales: false, out int convs);
        Assert.Equal(1, convs);
        Assert.Equal(["conv2"], plan.KeptFp32);
        var conv2 = quantized.Graph.Node.Single(n => n.Name == "conv2");
        Assert.Contains(quantized.Graph.Initializer, t => t.Name == conv2.Input[1] && t.DataType == (int)TensorProto.Types.DataType.Float);
        Assert.Empty(OnnxStructure.Check(quantized));
        var input = TinyCnn.Input(3);
        Assert.True(TensorPrimitives.CosineSimilarity(TinyCnn.Run(folded, input), TinyCnn.Run(quantized, input)) > 0.99f);
    }

    [Fact]
    public void Check_UndefinedInputAndWrongAxisLength_ListsBoth()
    {
        var (folded, _) = BatchNormFolding.Fold(TinyCnn.Create());
        var plan = QdqPlan.Create(folded.Graph, []);
        var quantized = QdqGraphWriter.Write(folded, [], Calibrate(folded, plan.CalibratedTensors), reduceWeightRange: true, searchWeightScales: false, out _);
        quantized.Graph.Node.Single(n => n.Name == "gap").Input[0] = "nowhere";
        var scale = quantized.Graph.Initializer.Single(t => t.Name == "w1_bnfolded_scale");
        scale.Dims[0] = 3;
        quantized.Graph.Initializer.Single(t => t.Name == "w1_bnfolded_zero_point").Dims[0] = 3;
        var problems = OnnxStructure.Check(quantized);
        Assert.Contains(problems, p => p.Contains("reads \"nowhere\" before anything defines it", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("per-axis scale of length 3 does not match axis 0", StringComparison.Ordinal));
    }

    /// <summary>Min/max ranges of the planned tensors over a few inputs, measured by running the fp32 graph with them as outputs.</summary>
    private static Dictionary<string, QuantizationParameters> Calibrate(ModelProto folded, IEnumerable<string> tensors)
    {
        var names = tensors.ToList();
        var model = folded.Clone();
        foreach (var t in names.Where(t => t != "x" && model.Graph.Output.All(o => o.Name != t)))
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        }

        var low = names.ToDictionary(t => t, _ => float.PositiveInfinity);
        var high = names.ToDictionary(t => t, _ => float.NegativeInfinity);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));
        for (int seed = 100; seed < 108; seed++)
        {
            var input = TinyCnn.Input(seed);
            using var x = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(input, [1, 3, TinyCnn.Size, TinyCnn.Size]);
            var outputs = names.Where(t => t != "x").ToArray();
            using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["x"], [x], outputs);
            low["x"] = Math.Min(low["x"], TensorPrimitives.Min(input));
            high["x"] = Math.Max(high["x"], TensorPrimitives.Max(input));
            for (int i = 0; i < outputs.Length; i++)
            {
                var v = results[i].GetTensorDataAsSpan<float>();
                low[outputs[i]] = Math.Min(low[outputs[i]], TensorPrimitives.Min(v));
                high[outputs[i]] = Math.Max(high[outputs[i]], TensorPrimitives.Max(v));
            }
        }

        return names.ToDictionary(t => t, t => QuantizationParameters.FromRange(low[t], high[t]));
    }
}
