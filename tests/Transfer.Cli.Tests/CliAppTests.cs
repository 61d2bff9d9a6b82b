using System.Diagnostics;
using Transfer.Cli.Tests.Commands;

namespace Transfer.Cli.Tests;

[Collection(CliTestGroup.Name)]
public sealed class CliAppTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("train --help")]
    [InlineData("evaluate --help")]
    [InlineData("predict --help")]
    [InlineData("cache --help")]
    [InlineData("cache info --help")]
    [InlineData("cache prune --help")]
    [InlineData("cache clear --help")]
    [InlineData("backbones --help")]
    public async Task Help_EveryCommand_PrintsUsageAndExitsZero(string args)
    {
        var run = await CliRunner.RunAsync(args.Split(' '));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Help_Train_DocumentsEveryOption()
    {
        var run = await CliRunner.RunAsync("train", "--help");

        foreach (string option in new[] { "--out", "--test", "--test-fraction", "--cache", "--backbone", "--head", "--epochs", "--seed", "--json" })
        {
            Assert.Contains(option, run.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_UnknownCommand_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("frobnicate");

        TrainCommandTests.AssertError(run, ExitCode.Usage, "frobnicate");
    }

    [Fact]
    public async Task Run_NoCommand_ExitsUsage()
    {
        var run = await CliRunner.RunAsync();

        TrainCommandTests.AssertError(run, ExitCode.Usage, "transfer --help");
    }

    [Fact]
    public async Task Run_UnknownOption_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("backbones", "--fast");

        TrainCommandTests.AssertError(run, ExitCode.Usage, "--fast");
    }

    [Fact]
    public async Task Process_ErrorPath_ExitCodeAndOneLineOnStderr()
    {
        // The built tool as a user runs it: exit code and stderr come from Program.cs, not only from CliApp.
        string dll = Path.Combine(AppContext.BaseDirectory, "transfer.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { dll, "evaluate", "missing-model.zip", "missing-folder" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal((int)ExitCode.NotFound, process.ExitCode);
        Assert.Equal(string.Empty, await stdout);
        Assert.Equal("error: Model \"missing-model.zip\" does not exist.", (await stderr).Trim());
    }
}
