using System.Numerics.Tensors;
using Microsoft.ML;
using Onnx;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads.Similarity;

namespace Transfer.Heads;

/// <summary>
/// A trained nearest-class-mean head (<see cref="PrototypeHeadTrainer"/>): the training mean, the whitening (if any), one
/// unit-length prototype per class, and the temperature. Immutable and safe to use from several threads.
/// </summary>
public sealed class TrainedPrototypeHead : TrainedHead
{
    /// <summary>The logit of a class that had no training images: it is never predicted.</summary>
    private const float AbsentLogit = -1e4f;

    private readonly float[] mean;
    private readonly Whitening? whitening;
    private readonly float[] prototypes;
    private readonly int[] counts;
    private readonly Lazy<ITransformer> scoringTransformer;

    internal TrainedPrototypeHead(float[] mean, Whitening? whitening, float[] prototypes, int[] counts, float temperature, IReadOnlyList<string> classes)
        : base(classes, mean.Length)
    {
        this.mean = mean;
        this.whitening = whitening;
        this.prototypes = prototypes;
        this.counts = counts;
        Temperature = temperature;
        scoringTransformer = new Lazy<ITransformer>(() => OnnxHead.ScoringTransformer(BuildScoringGraph(), Classes, FeatureLength));
    }

    /// <inheritdoc />
    public override string TrainerName => "prototype";

    /// <summary>Gets the temperature that scales the cosine similarities before the softmax.</summary>
    public float Temperature { get; }

    /// <summary>Gets the number of training images behind each class's prototype.</summary>
    public IReadOnlyList<int> ImagesPerClass => counts;

    /// <summary>Gets the number of directions the centred features are whitened along (0: not whitened, as models saved before whitening).</summary>
    public int WhiteningRank => whitening?.Rank ?? 0;

    /// <summary>Gets the training mean the features are centred on.</summary>
    internal ReadOnlySpan<float> Mean => mean;

    /// <summary>Gets the prototypes, class-major, each of unit length.</summary>
    internal ReadOnlySpan<float> Prototypes => prototypes;

    /// <inheritdoc />
    public override ITransformer ScoringTransformer => scoringTransformer.Value;

    /// <inheritdoc />
    public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities)
    {
        int dim = FeatureLength, c = Classes.Count;
        var z = CenteredCosine.Normalize(features, count, dim, mean, whitening);
        for (int i = 0; i < count; i++)
        {
            var row = probabilities.Slice(i * c, c);
            for (int k = 0; k < c; k++)
            {
                row[k] = counts[k] == 0 ? AbsentLogit : Temperature * TensorPrimitives.Dot(z.AsSpan(i * dim, dim), prototypes.AsSpan(k * dim, dim));
            }

            // SoftMax does not shift by the maximum: a hot temperature would overflow exp.
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
            TensorPrimitives.SoftMax(row, row);
        }
    }

    /// <summary>
    /// This head with one more class: the new class's prototype is the normalised mean of its images in this head's
    /// space (centred on the original training mean and whitened as before, both kept), so the old prototypes and the
    /// temperature are kept.
    /// </summary>
    internal TrainedPrototypeHead WithClass(string label, FeatureMatrix images)
    {
        int dim = FeatureLength, c = Classes.Count;
        var z = CenteredCosine.Normalize(images.Values, images.Count, dim, mean, whitening);
        var prototype = new float[dim];
        for (int i = 0; i < images.Count; i++)
        {
            TensorPrimitives.Add(prototype, z.AsSpan(i * dim, dim), prototype);
        }

        CenteredCosine.ToUnitLength(prototype);
        return new TrainedPrototypeHead(mean, whitening, [.. prototypes, .. prototype], [.. counts, images.Count], Temperature, [.. Classes, label]);
    }

    /// <summary>Reads a prototype head back from its scoring graph (a saved model's head), or <see langword="null"/> when the graph is another head's.</summary>
    internal static TrainedPrototypeHead? FromScoringGraph(ModelProto model, IReadOnlyList<string> classes)
    {
        var g = model.Graph;
        var vectors = SimilarityGraph.Floats(g, "prototype_vectors");
        var centre = SimilarityGraph.Floats(g, "prototype_mean");
        var bias = SimilarityGraph.Floats(g, "prototype_bias");
        var gemm = g.Node.FirstOrDefault(n => n.OpType == "Gemm" && n.Input.Contains("prototype_vectors"));
        float? alpha = gemm?.Attribute.FirstOrDefault(a => a.Name == "alpha")?.F;
        if (vectors is null || centre is null || bias is null || alpha is null || bias.Length != classes.Count || vectors.Length != classes.Count * centre.Length)
        {
            return null;
        }

        // A graph saved before whitening has none of its initializers: it scores, and extends, as it always did.
        var basis = SimilarityGraph.Floats(g, "prototype_whitening_basis");
        var scales = SimilarityGraph.Floats(g, "prototype_whitening_scales");
        var whitening = basis is null || scales is null ? null : Whitening.From(basis, scales, centre.Length);
        if ((basis is not null || scales is not null) && whitening is null)
        {
            return null;
        }

        // The graph does not keep the image counts: a class that had images counts one.
        return new TrainedPrototypeHead(centre, whitening, vectors, [.. bias.Select(b => b == 0f ? 1 : 0)], alpha.Value, classes);
    }

    /// <summary>The scoring graph: centre, whiten (when trained so), normalise, scaled cosine to each prototype, log-softmax.</summary>
    internal ModelProto BuildScoringGraph()
    {
        int dim = FeatureLength, c = Classes.Count;
        var model = OnnxHead.NewModel(dim, c);
        var g = model.Graph;
        var bias = new float[c];
        for (int k = 0; k < c; k++)
        {
            bias[k] = counts[k] == 0 ? AbsentLogit : 0f;
        }

        g.Initializer.Add(BackboneGraph.Floats("prototype_mean", [dim], mean));
        g.Initializer.Add(BackboneGraph.Floats("prototype_vectors", [c, dim], prototypes));
        g.Initializer.Add(BackboneGraph.Floats("prototype_bias", [c], bias));
        g.Initializer.Add(BackboneGraph.Scalar("prototype_epsilon", CenteredCosine.Epsilon));
        g.Node.Add(BackboneGraph.Node("Sub", [OnnxHead.FeaturesInput, "prototype_mean"], ["prototype_centred"]));
        string centred = "prototype_centred";
        if (whitening is not null)
        {
            // x + ((x·Vᵀ) ⊙ scales)·V, the same arithmetic as Whitening.Apply.
            g.Initializer.Add(BackboneGraph.Floats("prototype_whitening_basis", [whitening.Rank, dim], whitening.Basis));
            g.Initializer.Add(BackboneGraph.Floats("prototype_whitening_scales", [whitening.Rank], whitening.Scales));
            g.Node.Add(BackboneGraph.Node("Gemm", [centred, "prototype_whitening_basis"], ["prototype_projections"], ("transB", 1)));
            g.Node.Add(BackboneGraph.Node("Mul", ["prototype_projections", "prototype_whitening_scales"], ["prototype_projections_scaled"]));
            g.Node.Add(BackboneGraph.Node("MatMul", ["prototype_projections_scaled", "prototype_whitening_basis"], ["prototype_correction"]));
            g.Node.Add(BackboneGraph.Node("Add", [centred, "prototype_correction"], ["prototype_whitened"]));
            centred = "prototype_whitened";
        }

        g.Node.Add(OnnxHead.WithInts(BackboneGraph.Node("ReduceL2", [centred], ["prototype_norm"], ("keepdims", 1)), "axes", 1));
        g.Node.Add(BackboneGraph.Node("Max", ["prototype_norm", "prototype_epsilon"], ["prototype_norm_safe"]));
        g.Node.Add(BackboneGraph.Node("Div", [centred, "prototype_norm_safe"], ["prototype_unit"]));
        g.Node.Add(OnnxHead.WithFloat(BackboneGraph.Node("Gemm", ["prototype_unit", "prototype_vectors", "prototype_bias"], ["prototype_logits"], ("transB", 1)), "alpha", Temperature));
        g.Node.Add(BackboneGraph.Node("LogSoftmax", ["prototype_logits"], [OnnxHead.LogProbabilitiesOutput], ("axis", 1)));
        return model;
    }
}
