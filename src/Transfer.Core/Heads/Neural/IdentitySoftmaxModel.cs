using Microsoft.ML;
using Transfer.Heads.MaximumEntropy;

namespace Transfer.Heads.Neural;

/// <summary>
/// Builds ML.NET's own maximum-entropy prediction transformer with identity weights and zero bias over a column of
/// log-probabilities: <c>softmax(I · log p) = p</c>, so a head computed elsewhere (an ONNX graph) gets ML.NET's
/// native <c>Score</c> and key-typed <c>PredictedLabel</c>, and a saved model needs no Transfer code to load.
/// </summary>
internal static class IdentitySoftmaxModel
{
    public static ITransformer Create(MLContext ml, string logProbabilitiesColumn, IReadOnlyList<string> classes)
    {
        int c = classes.Count;
        var identity = new float[c * c];
        for (int k = 0; k < c; k++)
        {
            identity[(k * c) + k] = 1f;
        }

        return MaximumEntropyTransformer.Create(ml, logProbabilitiesColumn, identity, new float[c], c, classes);
    }
}
