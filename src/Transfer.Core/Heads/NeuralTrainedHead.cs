using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Heads.Neural;

namespace Transfer.Heads;

/// <summary>A trained <see cref="NeuralHead"/> behind the common <see cref="TrainedHead"/> interface.</summary>
internal sealed class NeuralTrainedHead : TrainedHead
{
    private readonly Lazy<ITransformer> _transformer;

    public NeuralTrainedHead(TrainedNeuralHead head, IReadOnlyList<string> classes, string name)
        : base(classes, head.FeatureDimension)
    {
        Network = head;
        TrainerName = name;
        _transformer = new Lazy<ITransformer>(BuildTransformer);
    }

    public TrainedNeuralHead Network { get; }

    public override string TrainerName { get; }

    public override Neural.TrainingHistory? History => Network.History;

    internal override ITransformer ScoringTransformer => _transformer.Value;

    public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities) =>
        Network.PredictBatch(features[..(count * FeatureLength)], probabilities[..(count * Classes.Count)]);

    private TransformerChain<ITransformer> BuildTransformer()
    {
        var ml = new MLContext(0);
        string path = Path.Combine(Path.GetTempPath(), $"transfer-head-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, NeuralHeadTrainer.BuildScoringGraph(Network).ToByteArray());
        // ML.NET reads the file again when the model is saved, so it lives until the process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(path);
        var empty = FeatureDataView.CreateUnlabelled(ml, Array.Empty<float>(), 0, FeatureLength);
        var network = ml.Transforms.ApplyOnnxModel([NeuralHeadTrainer.LogProbabilitiesColumn], ["Features"], path).Fit(empty);

        // softmax(log p) = p: ML.NET's own maximum-entropy scorer turns the log-probabilities into Score and PredictedLabel.
        var scorer = IdentitySoftmaxModel.Create(ml, NeuralHeadTrainer.LogProbabilitiesColumn, Classes);
        return new TransformerChain<ITransformer>(network, scorer);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
