using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Heads.MaximumEntropy;

namespace Transfer.Heads;

/// <summary>A head that is an ML.NET transformer over the <c>Features</c> column (trained here, or loaded from a saved model).</summary>
internal sealed class TransformerHead : TrainedHead
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly string _name;

    public TransformerHead(MLContext ml, ITransformer model, IReadOnlyList<string> classes, int featureLength, string name)
        : base(classes, featureLength)
    {
        _ml = ml;
        _model = model;
        _name = name;
        _linear = LinearSoftmax.TryCreate(model, classes.Count, featureLength);
    }

    private readonly LinearSoftmax? _linear;

    public override string TrainerName => _name;

    public override ITransformer ScoringTransformer => _model;

    public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities)
    {
        int c = Classes.Count;
        if (_linear is not null)
        {
            _linear.Predict(features, count, probabilities);
            return;
        }

        var data = FeatureDataView.CreateUnlabelled(_ml, features.ToArray(), count, FeatureLength);
        var scored = _model.Transform(data);
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> score = default;
        int row = 0;
        while (cursor.MoveNext())
        {
            getter(ref score);
            score.CopyTo(probabilities.Slice(row * c, c));
            row++;
        }
    }
}
