using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>
/// In-process scoring of an ML.NET maximum-entropy head (<c>softmax(W·x + b)</c>) from its public weights, so the
/// predictor does not build a data view per call. Used only when the head is exactly that model.
/// </summary>
internal sealed class LinearSoftmax
{
    private readonly float[] _weights; // classes × features, row-major
    private readonly float[] _bias;
    private readonly int _classes;
    private readonly int _features;

    private LinearSoftmax(float[] weights, float[] bias, int classes, int features)
    {
        _weights = weights;
        _bias = bias;
        _classes = classes;
        _features = features;
    }

    /// <summary>Scores parameters laid out as <c>MaximumEntropyHeadTrainer.Fit</c> returns them: biases (one per class), then class-major weights.</summary>
    public static LinearSoftmax FromParameters(float[] parameters, int classes, int features) =>
        new(parameters[classes..], parameters[..classes], classes, features);

    public static LinearSoftmax? TryCreate(ITransformer model, int classes, int features)
    {
        if (model is not TransformerChain<ITransformer> chain)
        {
            return null;
        }

        var parts = chain.ToList();
        if (parts.Count != 2 || parts[0] is not MulticlassPredictionTransformer<MaximumEntropyModelParameters> prediction)
        {
            return null;
        }

        VBuffer<float>[] rows = [];
        prediction.Model.GetWeights(ref rows, out int numClasses);
        var bias = prediction.Model.GetBiases().ToArray();
        if (numClasses != classes || bias.Length != classes || rows.Length != classes)
        {
            return null;
        }

        var weights = new float[classes * features];
        for (int k = 0; k < classes; k++)
        {
            if (rows[k].Length != features)
            {
                return null;
            }

            rows[k].CopyTo(weights.AsSpan(k * features, features));
        }

        return new LinearSoftmax(weights, bias, classes, features);
    }

    public void Predict(ReadOnlySpan<float> features, int count, Span<float> probabilities)
    {
        for (int i = 0; i < count; i++)
        {
            var x = features.Slice(i * _features, _features);
            var p = probabilities.Slice(i * _classes, _classes);
            for (int k = 0; k < _classes; k++)
            {
                p[k] = TensorPrimitives.Dot(_weights.AsSpan(k * _features, _features), x) + _bias[k];
            }

            TensorPrimitives.SoftMax(p, p);
        }
    }
}
