using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class SimilarCommandTests(CliData data)
{
    [Fact]
    public async Task Similar_ImageOfTheFolder_ListsOthersBestFirstFromTheCache()
    {
        string query = Directory.GetFiles(Path.Combine(data.Train, "Sneaker")).Order(StringComparer.Ordinal).First();

        var run = await CliRunner.RunAsync("similar", data.Train, query, "--top", "3", "--cache", data.Cache, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(18, json.RootElement.GetProperty("searched").GetInt32());
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        Assert.DoesNotContain(results, r => r.GetProperty("image").GetString() == query); // the query itself is left out
        var scores = results.Select(r => r.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(scores, s => Assert.InRange(s, -1.0001f, 1.0001f));
        Assert.Equal("Sneaker", results[0].GetProperty("label").GetString()); // Fashion-MNIST sneakers look like sneakers
    }

    [Fact]
    public async Task Similar_BadTopOrMissingImage_ClearErrors()
    {
        var top = await CliRunner.RunAsync("similar", data.Train, Directory.GetFiles(Path.Combine(data.Train, "Bag"))[0], "--top", "0");
        Assert.Equal(2, top.ExitCode);
        Assert.Contains("--top must be at least 1, was 0.", top.Error, StringComparison.Ordinal);

        var missing = await CliRunner.RunAsync("similar", data.Train, Path.Combine(data.Root, "nope.png"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("nope.png", missing.Error, StringComparison.Ordinal);
    }
}
