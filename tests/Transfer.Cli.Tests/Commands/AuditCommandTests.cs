using System.Text.Json;
using static Transfer.Cli.Tests.Commands.TrainCommandTests;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class AuditCommandTests(CliData data)
{
    [Fact]
    public async Task Audit_PlantedMislabelAndCopy_MislabelFirstCopyPairedFromTheCache()
    {
        // The CLI's training images with a bag filed as a sneaker and a trouser image copied under another name.
        string folder = CopyOfTrain("planted");
        string bag = Directory.GetFiles(Path.Combine(folder, "Bag")).Order(StringComparer.Ordinal).First();
        string planted = Path.Combine(folder, "Sneaker", "planted-" + Path.GetFileName(bag));
        File.Move(bag, planted);
        string trouser = Directory.GetFiles(Path.Combine(folder, "Trouser")).Order(StringComparer.Ordinal).First();
        string copy = Path.Combine(folder, "Trouser", "zz-copy.png");
        File.Copy(trouser, copy);

        var run = await CliRunner.RunAsync("audit", folder, "--cache", data.Cache, "--top", "3", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        var counts = root.GetProperty("counts");
        Assert.Equal(19, counts.GetProperty("images").GetInt32());
        Assert.StartsWith("auto: ", root.GetProperty("judge").GetString(), StringComparison.Ordinal);
        var suspects = root.GetProperty("suspects").EnumerateArray().ToList();
        Assert.InRange(suspects.Count, 1, 3);
        Assert.Equal(planted, suspects[0].GetProperty("image").GetString());
        Assert.Equal(("Sneaker", "Bag"), (suspects[0].GetProperty("givenLabel").GetString(), suspects[0].GetProperty("suggestedLabel").GetString()));
        Assert.InRange(suspects[0].GetProperty("score").GetSingle(), 0.5f, 1f);
        var pair = root.GetProperty("duplicates").EnumerateArray().Single(d => d.GetProperty("identical").GetBoolean());
        Assert.Equal((trouser, copy, false), (pair.GetProperty("a").GetString(), pair.GetProperty("b").GetString(), pair.GetProperty("crossClass").GetBoolean()));
        Assert.Equal(1f, pair.GetProperty("similarity").GetSingle(), 3);
        Assert.Equal(1, counts.GetProperty("identicalDuplicates").GetInt32());
        Assert.Equal(0, counts.GetProperty("skipped").GetInt32());
    }

    [Fact]
    public async Task Audit_BadInput_ClearErrorsWithTheirExitCodes()
    {
        AssertError(await CliRunner.RunAsync("audit", data.Train, "--top", "0"), ExitCode.Usage, "--top must be at least 1, was 0.");
        AssertError(await CliRunner.RunAsync("audit", data.Train, "--folds", "1"), ExitCode.Usage, "--folds must be at least 2, was 1.");
        AssertError(await CliRunner.RunAsync("audit", data.Train, "--duplicate-threshold", "2"), ExitCode.Usage, "--duplicate-threshold must be a cosine similarity in (-1, 1], was 2.");
        AssertError(await CliRunner.RunAsync("audit", Path.Combine(data.Root, "nope")), ExitCode.NotFound, "nope");
        AssertError(await CliRunner.RunAsync("audit", data.NewFolder("empty")), ExitCode.NoImages, "empty");

        string oneClass = data.NewFolder("one-class");
        CliData.CopyTree(Path.Combine(data.Train, "Bag"), Path.Combine(oneClass, "Bag"));
        var one = await CliRunner.RunAsync("audit", oneClass, "--cache", data.Cache);
        AssertError(one, ExitCode.NoImages, "holds only one class (\"Bag\")");

        string single = data.NewFolder("single");
        CliData.CopyTree(Path.Combine(data.Train, "Bag"), Path.Combine(single, "Bag"));
        Directory.CreateDirectory(Path.Combine(single, "Sneaker"));
        File.Copy(Directory.GetFiles(Path.Combine(data.Train, "Sneaker"))[0], Path.Combine(single, "Sneaker", "only.png"));
        AssertError(await CliRunner.RunAsync("audit", single, "--cache", data.Cache), ExitCode.NoImages, "two images of every class; \"Sneaker\" has only one. Add images to it or leave it out.");

        string broken = CopyOfTrain("broken");
        File.WriteAllText(Path.Combine(broken, "Bag", "broken.png"), "this is not a PNG");
        var stop = await CliRunner.RunAsync("audit", broken, "--cache", data.Cache);
        AssertError(stop, ExitCode.BadImage, "broken.png");
        Assert.Contains("pass --skip-bad-images", stop.Error, StringComparison.Ordinal);

        var skip = await CliRunner.RunAsync("audit", broken, "--cache", data.Cache, "--skip-bad-images", "--head", "prototype", "--json");
        Assert.True(skip.ExitCode == 0, skip.ToString());
        using var json = JsonDocument.Parse(skip.Out);
        Assert.EndsWith("broken.png", Assert.Single(json.RootElement.GetProperty("skipped").EnumerateArray()).GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal((18, 1), (json.RootElement.GetProperty("counts").GetProperty("images").GetInt32(), json.RootElement.GetProperty("counts").GetProperty("skipped").GetInt32()));
        Assert.Equal("prototype", json.RootElement.GetProperty("judge").GetString());
    }

    private string CopyOfTrain(string name)
    {
        string folder = data.NewFolder(name);
        CliData.CopyTree(data.Train, folder);
        return folder;
    }
}
