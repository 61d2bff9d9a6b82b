using System.Numerics.Tensors;
using Microsoft.ML;
using Onnx;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads.Similarity;

namespace Transfer.Heads;

/// <summary>
/// A trained cosine k-nearest-neighbour head (<see cref="NearestNeighborHeadTrainer"/>): the training mean, every
/// training image's unit-length centred vector with its label, k, the temperature and the smoothing. Immutable and safe
/// to use from several threads.
/// </summary>
public sealed class TrainedNearestNeighborHead : TrainedHead
{
    private readonly float[] mean;
    private readonly float[] vectors;
    private readonly int[] labels;
    private readonly Lazy<ITransformer> scoringTransformer;

    internal TrainedNearestNeighborHead(float[] mean, float[] vectors, int[] labels, int neighbors, float temperature, float smoothing, IReadOnlyList<string> classes)
        : base(classes, mean.Length)
    {
        this.mean = mean;
        this.vectors = vectors;
        this.labels = labels;
        Neighbors = neighbors;
        Temperature = temperature;
        Smoothing = smoothing;
        scoringTransformer = new Lazy<ITransformer>(() => OnnxHead.ScoringTransformer(BuildScoringGraph(), Classes, FeatureLength));
    }

    /// <inheritdoc />
    public override string TrainerName => "knn";

    /// <summary>Gets the number of neighbours that vote.</summary>
    public int Neighbors { get; }

    /// <summary>Gets the temperature of the votes.</summary>
    public float Temperature { get; }

    /// <summary>Gets the vote every class gets besides its neighbours'.</summary>
    public float Smoothing { get; }

    /// <summary>Gets the number of training images the head holds.</summary>
    public int ImageCount => labels.Length;

    /// <inheritdoc />
    public override ITransformer ScoringTransformer => scoringTransformer.Value;

    /// <inheritdoc />
    public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities)
    {
        int dim = FeatureLength, c = Classes.Count, n = labels.Length;
        var z = CenteredCosine.Normalize(features, count, dim, mean);
        var result = new float[count * c];
        Parallel.For(0, count, i =>
        {
            var scores = new float[n];
            for (int j = 0; j < n; j++)
            {
                scores[j] = TensorPrimitives.Dot(z.AsSpan(i * dim, dim), vectors.AsSpan(j * dim, dim));
            }

            var top = new float[Neighbors];
            NearestNeighbors.Top(scores, top, out var indices, Neighbors);
            var votes = new double[c];
            NearestNeighbors.Vote(top, [.. indices.Select(j => labels[j])], Temperature, Smoothing, votes);
            for (int k = 0; k < c; k++)
            {
                result[(i * c) + k] = (float)votes[k];
            }
        });
        result.CopyTo(probabilities);
    }

    /// <summary>
    /// This head with one more class: the new images' vectors (centred on the original training mean, which stays) join
    /// the stored ones with the new label; k, temperature and smoothing are kept.
    /// </summary>
    internal TrainedNearestNeighborHead WithClass(string label, FeatureMatrix images)
    {
        var z = CenteredCosine.Normalize(images.Values, images.Count, FeatureLength, mean);
        var added = Enumerable.Repeat(Classes.Count, images.Count);
        return new TrainedNearestNeighborHead(mean, [.. vectors, .. z], [.. labels, .. added], Neighbors, Temperature, Smoothing, [.. Classes, label]);
    }

    /// <summary>Reads a kNN head back from its scoring graph (a saved model's head), or <see langword="null"/> when the graph is another head's.</summary>
    internal static TrainedNearestNeighborHead? FromScoringGraph(ModelProto model, IReadOnlyList<string> classes)
    {
        var g = model.Graph;
        var centre = SimilarityGraph.Floats(g, "knn_mean");
        var transposed = SimilarityGraph.Floats(g, "knn_vectors_t");
        var oneHot = SimilarityGraph.Floats(g, "knn_one_hot");
        var temperature = SimilarityGraph.Floats(g, "knn_temperature");
        var smoothing = SimilarityGraph.Floats(g, "knn_smoothing");
        var k = g.Initializer.FirstOrDefault(t => t.Name == "knn_k");
        int c = classes.Count;
        if (centre is null || transposed is null || oneHot is null || temperature is not [var t] || smoothing is not [var s] || k is null || oneHot.Length % c != 0)
        {
            return null;
        }

        int dim = centre.Length, n = oneHot.Length / c;
        if (transposed.Length != dim * n)
        {
            return null;
        }

        var vectors = new float[n * dim];
        var labels = new int[n];
        for (int j = 0; j < n; j++)
        {
            for (int d = 0; d < dim; d++)
            {
                vectors[(j * dim) + d] = transposed[(d * n) + j];
            }

            labels[j] = Array.IndexOf(oneHot, 1f, j * c, c) - (j * c);
        }

        int neighbors = k.Int64Data.Count == 1 ? (int)k.Int64Data[0] : 0;
        if (neighbors < 1)
        {
            return null;
        }

        return new TrainedNearestNeighborHead(centre, vectors, labels, neighbors, t, s, classes);
    }

    /// <summary>
    /// The scoring graph: centre and normalise, cosine to every stored vector (MatMul), TopK, weighted one-hot votes
    /// (Gather, Exp, ReduceSum), smoothing, normalisation, log.
    /// </summary>
    internal ModelProto BuildScoringGraph()
    {
        int dim = FeatureLength, c = Classes.Count, n = labels.Length;
        var model = OnnxHead.NewModel(dim, c);
        var g = model.Graph;
        var transposed = new float[dim * n];
        for (int j = 0; j < n; j++)
        {
            for (int d = 0; d < dim; d++)
            {
                transposed[(d * n) + j] = vectors[(j * dim) + d];
            }
        }

        var oneHot = new float[n * c];
        for (int j = 0; j < n; j++)
        {
            oneHot[(j * c) + labels[j]] = 1f;
        }

        g.Initializer.Add(BackboneGraph.Floats("knn_mean", [dim], mean));
        g.Initializer.Add(BackboneGraph.Floats("knn_vectors_t", [dim, n], transposed));
        g.Initializer.Add(BackboneGraph.Floats("knn_one_hot", [n, c], oneHot));
        g.Initializer.Add(BackboneGraph.Scalar("knn_epsilon", CenteredCosine.Epsilon));
        g.Initializer.Add(BackboneGraph.Scalar("knn_temperature", Temperature));
        g.Initializer.Add(BackboneGraph.Scalar("knn_smoothing", Smoothing));
        g.Initializer.Add(BackboneGraph.Ints("knn_k", [Neighbors]));
        g.Initializer.Add(BackboneGraph.Ints("knn_axis1", [1]));
        g.Initializer.Add(BackboneGraph.Ints("knn_axis2", [2]));
        g.Node.Add(BackboneGraph.Node("Sub", [OnnxHead.FeaturesInput, "knn_mean"], ["knn_centred"]));
        g.Node.Add(OnnxHead.WithInts(BackboneGraph.Node("ReduceL2", ["knn_centred"], ["knn_norm"], ("keepdims", 1)), "axes", 1));
        g.Node.Add(BackboneGraph.Node("Max", ["knn_norm", "knn_epsilon"], ["knn_norm_safe"]));
        g.Node.Add(BackboneGraph.Node("Div", ["knn_centred", "knn_norm_safe"], ["knn_unit"]));
        g.Node.Add(BackboneGraph.Node("MatMul", ["knn_unit", "knn_vectors_t"], ["knn_similarity"]));
        g.Node.Add(BackboneGraph.Node("TopK", ["knn_similarity", "knn_k"], ["knn_top", "knn_top_index"], ("axis", 1), ("largest", 1), ("sorted", 1)));
        g.Node.Add(OnnxHead.WithInts(BackboneGraph.Node("ReduceMax", ["knn_top"], ["knn_top_max"], ("keepdims", 1)), "axes", 1));
        g.Node.Add(BackboneGraph.Node("Sub", ["knn_top", "knn_top_max"], ["knn_top_shifted"]));
        g.Node.Add(BackboneGraph.Node("Mul", ["knn_top_shifted", "knn_temperature"], ["knn_top_scaled"]));
        g.Node.Add(BackboneGraph.Node("Exp", ["knn_top_scaled"], ["knn_weight"]));
        g.Node.Add(BackboneGraph.Node("Unsqueeze", ["knn_weight", "knn_axis2"], ["knn_weight3"]));
        g.Node.Add(BackboneGraph.Node("Gather", ["knn_one_hot", "knn_top_index"], ["knn_neighbor_classes"], ("axis", 0)));
        g.Node.Add(BackboneGraph.Node("Mul", ["knn_neighbor_classes", "knn_weight3"], ["knn_weighted"]));
        g.Node.Add(BackboneGraph.Node("ReduceSum", ["knn_weighted", "knn_axis1"], ["knn_votes"], ("keepdims", 0)));
        g.Node.Add(BackboneGraph.Node("Add", ["knn_votes", "knn_smoothing"], ["knn_smoothed"]));
        g.Node.Add(BackboneGraph.Node("ReduceSum", ["knn_smoothed", "knn_axis1"], ["knn_total"], ("keepdims", 1)));
        g.Node.Add(BackboneGraph.Node("Div", ["knn_smoothed", "knn_total"], ["knn_probabilities"]));
        g.Node.Add(BackboneGraph.Node("Log", ["knn_probabilities"], [OnnxHead.LogProbabilitiesOutput]));
        return model;
    }
}
