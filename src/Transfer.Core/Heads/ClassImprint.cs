using Transfer.Featurization;
using Transfer.Heads.MaximumEntropy;
using Transfer.Heads.Similarity;

namespace Transfer.Heads;

/// <summary>
/// Adds a class to a trained head from the new class's features alone: a prototype head gains a prototype, a kNN head
/// the new vectors, a maximum-entropy head an imprinted weight row (<see cref="MaximumEntropyImprint"/>). The heads
/// loaded from a saved model are read back from their scoring transformer.
/// </summary>
internal static class ClassImprint
{
    /// <summary>The method recorded for a maximum-entropy head.</summary>
    public const string Imprint = "imprint";

    /// <exception cref="NotSupportedException">The head cannot learn a class without retraining (neural, LightGBM).</exception>
    /// <exception cref="InvalidOperationException">A maximum-entropy head without the training mean it needs.</exception>
    public static (TrainedHead Head, string Method) Add(TrainedHead head, string label, FeatureMatrix images, IReadOnlyList<float>? trainingMean, IReadOnlyList<IReadOnlyList<float>>? classMeans, double? targetProbability)
    {
        switch (head)
        {
            case TrainedPrototypeHead prototype:
                return (prototype.WithClass(label, images), "prototype");
            case TrainedNearestNeighborHead neighbors:
                return (neighbors.WithClass(label, images), "knn");
        }

        int c = head.Classes.Count, d = head.FeatureLength;
        if (MaximumEntropyImprint.Parameters(head.ScoringTransformer, c, d) is var (weights, bias))
        {
            if (trainingMean is null || trainingMean.Count != d)
            {
                throw new InvalidOperationException(
                    "This model does not record its training images' mean feature vector (it was saved before Transfer stored it), which imprinting a class into its "
                    + $"maximum-entropy head needs. Retrain it with this version of Transfer (the same folder and cache make that quick), then add the class.");
            }

            var head2 = MaximumEntropyImprint.WithClass(head, weights, bias, label, images, [.. trainingMean], classMeans, targetProbability ?? MaximumEntropyImprint.DefaultTargetProbability);
            return (head2, Imprint);
        }

        if (head is not Neural.TrainedNeuralHead && SimilarityGraph.FromTransformer(head.ScoringTransformer) is { } graph)
        {
            if (TrainedPrototypeHead.FromScoringGraph(graph, head.Classes) is { } prototype)
            {
                return (prototype.WithClass(label, images), "prototype");
            }

            if (TrainedNearestNeighborHead.FromScoringGraph(graph, head.Classes) is { } neighbors)
            {
                return (neighbors.WithClass(label, images), "knn");
            }
        }

        throw new NotSupportedException(
            $"A model whose head is \"{head.TrainerName}\" cannot learn a class without retraining: only maximum-entropy heads (--head auto when it chooses lbfgs, lbfgs, sdca), "
            + "prototype and kNN heads can. Retrain with the new class's folder added, or train with --head prototype, knn or lbfgs.");
    }
}
