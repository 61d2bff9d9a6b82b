using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Onnx;
using Transfer.Backbones;
using Transfer.Heads.Neural;
using Transfer.IO;

namespace Transfer.Heads;

/// <summary>
/// A head computed by an ONNX graph (Features [N, D] → log-probabilities [N, C]) inside a saved model: ML.NET's
/// <c>ApplyOnnxModel</c> runs the graph and its own maximum-entropy scorer over the log-probabilities
/// (<see cref="IdentitySoftmaxModel"/>) adds <c>Score</c> and <c>PredictedLabel</c>, so plain ML.NET loads and scores
/// the model with no Transfer code.
/// </summary>
internal static class OnnxHead
{
    /// <summary>The graph's input: the feature vectors.</summary>
    public const string FeaturesInput = "Features";

    /// <summary>The graph's output and the column it writes: log-probabilities in class order.</summary>
    public const string LogProbabilitiesOutput = "HeadLogProbabilities";

    /// <summary>A new opset-13 model whose graph takes <see cref="FeaturesInput"/> [N, <paramref name="featureLength"/>] and outputs <see cref="LogProbabilitiesOutput"/> [N, <paramref name="classCount"/>].</summary>
    public static ModelProto NewModel(int featureLength, int classCount)
    {
        var model = new ModelProto { IrVersion = 7, ProducerName = "Transfer", Graph = new GraphProto { Name = "transfer_head" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        model.Graph.Input.Add(BackboneGraph.TensorInfo(FeaturesInput, [null, featureLength]));
        model.Graph.Output.Add(BackboneGraph.TensorInfo(LogProbabilitiesOutput, [null, classCount]));
        return model;
    }

    /// <summary>A node with a list-of-integers attribute (e.g. a reduction's axes in opset 13).</summary>
    public static NodeProto WithInts(NodeProto node, string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        node.Attribute.Add(attribute);
        return node;
    }

    /// <summary>A node with a float attribute (e.g. Gemm's alpha).</summary>
    public static NodeProto WithFloat(NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    /// <summary>The ML.NET transformer chain that scores the head: the ONNX graph, then ML.NET's own scorer.</summary>
    public static TransformerChain<ITransformer> ScoringTransformer(ModelProto model, IReadOnlyList<string> classes, int featureLength)
    {
        var ml = new MLContext(0);

        // ML.NET reads the file again when the model is saved, so it lives as long as the head: never disposed, it is
        // deleted at process exit.
        string path = new TemporaryOnnxFile(model.ToByteArray(), "head").FilePath;
        var empty = FeatureDataView.CreateUnlabelled(ml, Array.Empty<float>(), 0, featureLength);
        var onnx = ml.Transforms.ApplyOnnxModel([LogProbabilitiesOutput], [FeaturesInput], path).Fit(empty);

        // softmax(log p) = p: ML.NET's own maximum-entropy scorer turns the log-probabilities into Score and PredictedLabel.
        var scorer = IdentitySoftmaxModel.Create(ml, LogProbabilitiesOutput, classes);
        return new TransformerChain<ITransformer>(onnx, scorer);
    }
}
