using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Transfer.Cli.Output;
using Transfer.Cli.Tests.Commands;

namespace Transfer.Cli.Tests.Output;

/// <summary>The global <c>--verbosity</c> and <c>--log-file</c>: the library's warnings reach stderr and the log file; stdout stays the result.</summary>
[Collection(CliTestGroup.Name)]
public sealed partial class CliLoggingTests(CliData data)
{
    [Fact]
    public async Task Train_DamagedCacheSegment_WarningOnStderrAndInLogFile_JsonStaysPure()
    {
        string root = data.NewFolder("logging");
        string cache = Path.Combine(root, "cache");
        CliData.CopyTree(data.Cache, cache);
        string segment = Directory.GetFiles(cache, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes);
        string log = Path.Combine(root, "transfer.log");

        // The fixture's own training command line, so every segment of its cache is read again.
        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(root, "model.zip"), "--test", data.Test, "--cache", cache, "--seed", "7", "--json", "--log-file", log);

        Assert.True(run.ExitCode == 0, run.ToString());
        using (var json = JsonDocument.Parse(run.Out))
        {
            Assert.True(json.RootElement.GetProperty("computed").GetInt32() > 0); // the quarantined vectors were recomputed
        }

        var warning = Assert.Single(run.ErrorLines); // default verbosity: warnings and errors only
        Assert.StartsWith($"warning: Bottleneck cache segment {segment} is corrupt (", warning, StringComparison.Ordinal);
        string[] lines = await File.ReadAllLinesAsync(log);
        var logged = Assert.Single(lines);
        Assert.Matches(TimestampedLine(), logged);
        Assert.EndsWith($" warning Transfer.Caching.BottleneckCache[3001]: {warning["warning: ".Length..]}", logged, StringComparison.Ordinal);

        // Appended, at the chosen verbosity: the command line's own start and end, nothing on stderr with quiet.
        var info = await CliRunner.RunAsync("cache", "info", cache, "--json", "--verbosity", "normal", "--log-file", log);
        Assert.True(info.ExitCode == 0, info.ToString());
        JsonDocument.Parse(info.Out).Dispose();
        string[] after = await File.ReadAllLinesAsync(log);
        Assert.Equal(logged, after[0]);
        Assert.Contains(after, l => l.Contains($" info Transfer.Cli[9001]: transfer ", StringComparison.Ordinal) && l.EndsWith($"cache info {cache} --json --verbosity normal --log-file {log}", StringComparison.Ordinal));
        Assert.Matches(@" info Transfer\.Cli\[9002\]: Exit code 0 after \d+\.\d\d s\.$", after[^1]);
        Assert.All(after, l => Assert.Matches(TimestampedLine(), l));
        Assert.Contains(info.ErrorLines, l => l.StartsWith("info: Exit code 0 after ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failure_IsAppendedToTheLogFile()
    {
        string log = Path.Combine(data.NewFolder("failure"), "transfer.log");

        var run = await CliRunner.RunAsync("evaluate", "missing-model.zip", data.Test, "--log-file", log, "-v", "q");

        TrainCommandTests.AssertError(run, ExitCode.NotFound, "missing-model.zip");
        var line = Assert.Single(await File.ReadAllLinesAsync(log));
        Assert.Matches(TimestampedLine(), line);
        Assert.EndsWith($" error Transfer.Cli: {run.ErrorLines[0]["error: ".Length..]}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogFile_InAMissingFolder_UsageErrorNamingTheOption()
    {
        string path = Path.Combine(data.Root, "no-such-folder", "transfer.log");

        var run = await CliRunner.RunAsync("backbones", "--json", "--log-file", path);

        TrainCommandTests.AssertError(run, ExitCode.Usage, $"--log-file \"{path}\" cannot be opened for appending: ");
        Assert.Empty(run.Out);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task Verbosity_Unknown_UsageErrorListingTheNames()
    {
        var run = await CliRunner.RunAsync("backbones", "--verbosity", "loud");

        TrainCommandTests.AssertError(run, ExitCode.Usage, "--verbosity must be quiet, minimal, normal, detailed or diagnostic (or q, m, n, d, diag), was \"loud\".");
    }

    [Theory]
    [InlineData("quiet", LogLevel.Error)]
    [InlineData("q", LogLevel.Error)]
    [InlineData("minimal", LogLevel.Warning)]
    [InlineData(null, LogLevel.Warning)]
    [InlineData("Normal", LogLevel.Information)]
    [InlineData("detailed", LogLevel.Debug)]
    [InlineData("diag", LogLevel.Trace)]
    [InlineData("diagnostic", LogLevel.Trace)]
    public void ParseVerbosity_DotnetNames_MapToLevels(string? value, LogLevel expected) =>
        Assert.Equal(expected, CliLogging.ParseVerbosity(value));

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|warning|error|critical) \S+: ")]
    private static partial Regex TimestampedLine();
}
