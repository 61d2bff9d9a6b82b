using Transfer.Featurization;
using Transfer.Search;

namespace Transfer.Core.Tests.Search;

public sealed class VectorIndexTests
{
    [Fact]
    public void Search_MatchesABruteForceCosineRankingOfCentredVectors()
    {
        var random = new Random(3);
        int n = 40_000, d = 16; // more than two blocks
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() + 2);
        }

        var features = new FeatureMatrix(values, n, d, new int[n], 1);
        var index = VectorIndex.Build(features, [.. Enumerable.Range(0, n).Select(i => $"img{i}")]);
        var query = values.AsSpan(123 * d, d).ToArray();
        var found = index.Search(query, 5);

        var mean = Enumerable.Range(0, d).Select(k => Enumerable.Range(0, n).Average(i => (double)values[(i * d) + k])).ToArray();
        double[] Centred(int i) => [.. Enumerable.Range(0, d).Select(k => values[(i * d) + k] - mean[k])];
        double Cos(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(x => x * x));
        var q = Centred(123);
        var expected = Enumerable.Range(0, n).Select(i => (i, Cos(q, Centred(i)))).OrderByDescending(p => p.Item2).Take(5).ToList();

        Assert.Equal(expected.Select(e => e.i), found.Select(f => f.Index));
        Assert.Equal(("img123", 123), (found[0].Key, found[0].Index));
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal(expected[r].Item2, found[r].Score, 4);
        }
    }

    [Fact]
    public void Search_TopBeyondTheCount_ReturnsEveryVectorAndTiesKeepTheEarlierFirst()
    {
        var index = new VectorIndex(new float[2]);
        index.Add("a", [1, 0]);
        index.Add("b", [0, 1]);
        index.Add("c", [2, 0]);
        var found = index.Search([3, 0], 10);
        Assert.Equal(["a", "c", "b"], found.Select(f => f.Key));
        Assert.Equal([1f, 1f, 0f], found.Select(f => f.Score));
    }

    [Fact]
    public void BadInput_ClearErrors()
    {
        var index = new VectorIndex(new float[3]);
        Assert.Contains("must have 3 finite values (had 2)", Assert.Throws<ArgumentException>(() => index.Add("x", [1, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("not all finite", Assert.Throws<ArgumentException>(() => index.Add("x", [1, float.NaN, 2])).Message, StringComparison.Ordinal);
        index.Add("x", [1, 2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 2, 3], 0));
        Assert.Contains("The query must have 3", Assert.Throws<ArgumentException>(() => index.Search([1, 2], 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => VectorIndex.Build(new FeatureMatrix(new float[6], 2, 3, new int[2], 1), ["only one"]));
    }

    [Fact]
    public void FindPairs_MatchesABruteForceSelfJoinAndKeepsTheBestPerVector()
    {
        var random = new Random(8);
        int n = 300, d = 6;
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        var index = VectorIndex.Build(new FeatureMatrix(values, n, d, new int[n], 1), [.. Enumerable.Range(0, n).Select(i => $"v{i}")]);
        var mean = Enumerable.Range(0, d).Select(k => Enumerable.Range(0, n).Average(i => (double)values[(i * d) + k])).ToArray();
        double[] Unit(int i)
        {
            var v = Enumerable.Range(0, d).Select(k => values[(i * d) + k] - mean[k]).ToArray();
            double norm = Math.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / norm)];
        }

        var units = Enumerable.Range(0, n).Select(Unit).ToArray();
        var expected = new List<(int, int)>();
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (units[i].Zip(units[j], (a, b) => a * b).Sum() >= 0.9)
                {
                    expected.Add((i, j));
                }
            }
        }

        var found = index.FindPairs(0.9f, maximumPerVector: n);

        Assert.True(expected.Count > 20, $"only {expected.Count} pairs: the test would prove little");
        Assert.Equal(expected.Order(), found.Select(p => (p.First, p.Second)).Order());
        Assert.Equal(found.Select(p => p.Score).OrderDescending(), found.Select(p => p.Score));
        var capped = index.FindPairs(0.9f, maximumPerVector: 1);
        Assert.All(capped.GroupBy(p => p.First), g => Assert.Single(g));
        Assert.All(capped, p => Assert.Equal(found.Where(f => f.First == p.First).Max(f => f.Score), p.Score));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.FindPairs(1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.FindPairs(0.5f, 0));
    }
}
