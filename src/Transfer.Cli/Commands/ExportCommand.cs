using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.Models;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer export &lt;model.zip&gt; --out model.onnx</c>: the whole model as one ONNX file (docs/EXPORT.md).</summary>
internal static class ExportCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("model") { Description = "A model zip written by 'transfer train'." };
        var output = new Option<string>("--out", "-o") { Description = "The ONNX file to write (RGB uint8 [N, H, W, 3] in; probabilities and label out).", Required = true };
        var json = new Option<bool>("--json") { Description = "Write what was exported as JSON: output, bytes, input, outputs, classes, backbone, head, resizeMode, testTimeAugmentation." };
        var command = new Command("export", "Export a saved model as one ONNX file that ONNX Runtime scores anywhere (Python, JavaScript, C++).") { model, output, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Run(console, parse.GetValue(model)!, parse.GetValue(output)!, parse.GetValue(json), ct))));
        return command;
    }

    private static int Run(CliConsole console, string modelPath, string outputPath, bool json, CancellationToken ct)
    {
        if (Directory.Exists(outputPath))
        {
            throw new CliException(ExitCode.OutputFailed, $"--out \"{outputPath}\" is a folder. Pass a file name, e.g. --out {Path.Combine(outputPath, "model.onnx")}.");
        }

        using var model = CliInputs.LoadModel(modelPath);
        ct.ThrowIfCancellationRequested();
        string full = Path.GetFullPath(outputPath);
        try
        {
            model.ExportOnnx(full);
        }
        catch (NotSupportedException ex)
        {
            throw new CliException(ExitCode.ExportUnsupported, ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new CliException(ExitCode.OutputFailed, $"{ex.Message} (--out)", ex);
        }

        long bytes = new FileInfo(full).Length;
        var m = model.Manifest;
        if (json)
        {
            Json.Write(console, new ExportJson(
                full,
                bytes,
                TransferModelExport.ImageInput,
                [TransferModelExport.ProbabilitiesOutput, TransferModelExport.LabelOutput],
                m.Classes,
                m.Backbone,
                m.Head,
                m.ResizeMode,
                m.TestTimeAugmentation.ToString()));
            return (int)ExitCode.Success;
        }

        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Exported {Path.GetRelativePath(Environment.CurrentDirectory, full)} ({bytes / 1e6:F1} MB): {m.Backbone}, head {m.Head}, {m.Classes.Count} classes, resize {m.ResizeMode}."));
        console.Out.WriteLine($"Input \"{TransferModelExport.ImageInput}\": {TransferModelExport.InputContract}. Outputs \"{TransferModelExport.ProbabilitiesOutput}\" [N, {m.Classes.Count}] and \"{TransferModelExport.LabelOutput}\" [N]. See docs/EXPORT.md.");
        return (int)ExitCode.Success;
    }
}
