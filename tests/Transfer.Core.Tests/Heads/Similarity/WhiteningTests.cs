using System.Numerics.Tensors;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Similarity;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.Similarity;

/// <summary>The prototype head's whitening (<see cref="PrototypeHeadOptions.Shrinkage"/>) and the saved graphs before and after it.</summary>
public sealed class WhiteningTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void Prototype_SharedNuisanceDirections_WhiteningBeatsThePlainHead()
    {
        // The classes differ a little along 3 directions; all images vary a lot along 3 others (as lighting or background
        // do): plain cosine to the class means is swamped by the shared variation, the whitened one is not.
        var train = Nuisance(perClass: 5, seed: 1);
        var test = Nuisance(perClass: 60, seed: 2);
        var plain = new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = 1f }).Train(train, null, Classes);
        var whitened = Assert.IsType<TrainedPrototypeHead>(new PrototypeHeadTrainer().Train(train, null, Classes));
        Assert.Equal(0, ((TrainedPrototypeHead)plain).WhiteningRank);
        Assert.InRange(whitened.WhiteningRank, 3, 12);
        double before = Evaluator.Evaluate(plain, test).MicroAccuracy, after = Evaluator.Evaluate(whitened, test).MicroAccuracy;
        Assert.True(after > before + 0.3, $"plain {before:F3}, whitened {after:F3}");
    }

    [Fact]
    public void Prototype_ShrinkageOne_SavesTheGraphOfModelsBeforeWhitening()
    {
        var head = (TrainedPrototypeHead)new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = 1f }).Train(Nuisance(4, 3), null, Classes);
        var graph = head.BuildScoringGraph().Graph;
        Assert.Equal(["Sub", "ReduceL2", "Max", "Div", "Gemm", "LogSoftmax"], graph.Node.Select(n => n.OpType));
        Assert.DoesNotContain(graph.Initializer, t => t.Name.Contains("whitening", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(PrototypeHeadOptions.DefaultShrinkage)]
    public void Prototype_ReadBackFromItsSavedGraph_SameWhiteningAndProbabilities(float shrinkage)
    {
        // How a saved model's head is read back to add a class: an unwhitened graph (every model saved before) reads back
        // unwhitened, a whitened one with its whitening.
        var head = (TrainedPrototypeHead)new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = shrinkage }).Train(Nuisance(4, 4), null, Classes);
        var graph = SimilarityGraph.FromTransformer(head.ScoringTransformer);
        Assert.NotNull(graph);
        var back = TrainedPrototypeHead.FromScoringGraph(graph, Classes);
        Assert.NotNull(back);
        Assert.Equal(head.WhiteningRank, back.WhiteningRank);
        var test = Nuisance(10, 5);
        var expected = head.PredictProbabilities(test);
        var actual = back.PredictProbabilities(test);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Fit_ScalesAlongTheRowsDirectionsAndLeavesTheRestAlone()
    {
        const int d = 6;
        var rows = Nuisance(3, 6, dimension: d).Values;
        var mean = CenteredCosine.Mean(new FeatureMatrix(rows, 9, d, new int[9], 1));
        var centred = new float[rows.Length];
        for (int i = 0; i < 9; i++)
        {
            TensorPrimitives.Subtract(rows.AsSpan(i * d, d), mean, centred.AsSpan(i * d, d));
        }

        var w = Whitening.Fit(centred, 9, d, 0.3f);
        Assert.NotNull(w);
        Assert.Equal(6, w.Rank); // 9 rows in 6 dimensions: full rank
        for (int k = 0; k < w.Rank; k++)
        {
            var v = w.Basis.AsSpan(k * d, d);
            Assert.Equal(1f, TensorPrimitives.Norm(v), 1e-4f);
            Assert.InRange(w.Scales[k], -1f, 0f);
            var applied = v.ToArray();
            w.Apply(applied);
            for (int j = 0; j < d; j++)
            {
                Assert.Equal((1 + w.Scales[k]) * v[j], applied[j], 1e-4f); // each direction is an eigenvector of the map
            }
        }

        Assert.Null(Whitening.Fit(centred, 9, d, 1f));
        Assert.Null(Whitening.Fit(centred, 1, d, 0.3f));
    }

    [Theory]
    [InlineData(12, 12)]
    [InlineData(40, 5)]
    public void Decompose_SymmetricMatrix_EigenpairsReconstructIt(int n, int rank)
    {
        // A Gram matrix of `rank` random vectors (rank-deficient when rank < n, as a few images' Gram matrix in their space), shifted to have negative eigenvalues too.
        var random = new Random(7);
        var x = new double[n, rank];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < rank; k++)
            {
                x[i, k] = random.NextDouble() - 0.5;
            }
        }

        var a = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double dot = 0;
                for (int k = 0; k < rank; k++)
                {
                    dot += x[i, k] * x[j, k];
                }

                a[i, j] = a[j, i] = dot - (i == j ? 0.1 : 0);
            }
        }

        var (values, vectors) = SymmetricEigen.Decompose(a);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++)
                {
                    sum += vectors[i, k] * values[k] * vectors[j, k];
                }

                Assert.Equal(a[i, j], sum, 1e-9);
            }
        }
    }

    [Fact]
    public void Options_ShrinkageOutsideZeroToOne_Refused()
    {
        foreach (float bad in new[] { 0f, -0.5f, 1.5f, float.NaN })
        {
            var e = Assert.Throws<OptionsValidationException>(() => new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = bad }));
            Assert.StartsWith("Shrinkage must be above 0 and at most 1", Assert.Single(e.Problems), StringComparison.Ordinal);
        }
    }

    /// <summary>Three classes 1.5 apart along dimensions 0–2, every row spread with standard deviation 6 along dimensions 3–5, noise 0.3 elsewhere.</summary>
    private static FeatureMatrix Nuisance(int perClass, int seed, int dimension = 12)
    {
        var random = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        int n = perClass * 3;
        var values = new float[n * dimension];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int y = labels[i] = i % 3;
            for (int j = 0; j < dimension; j++)
            {
                double v = (j == y ? 1.5 : 0) + (0.3 * Gauss());
                values[(i * dimension) + j] = (float)(j is >= 3 and < 6 ? v + (6 * Gauss()) : v);
            }
        }

        return new FeatureMatrix(values, n, dimension, labels, 3);
    }
}
