using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Transfer.Caching;
using Transfer.Cli.Output;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>transfer add-class &lt;model.zip&gt; &lt;folder&gt; --label &lt;name&gt; --out &lt;new.zip&gt;</c>: teaches a saved model
/// one more class from that class's images alone, without retraining (docs/HEADS.md, "Adding a class").
/// </summary>
internal static class AddClassCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("model") { Description = "A model zip written by 'transfer train' (head auto/lbfgs/sdca, prototype or knn)." };
        var folder = new Argument<string>("folder") { Description = "The new class's images (every image in the folder, recursively)." };
        var label = new Option<string>("--label") { Description = "The new class's name (not one of the model's classes).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Where to save the new model.", Required = true };
        var cache = new Option<string?>("--cache") { Description = "Bottleneck cache folder to look the images' features up in (and store them to). Default: none." };
        var backbone = new Option<string?>("--backbone") { Description = "The model's backbone when it is not a built-in one: the ONNX file (with its descriptor <name>.json) it was trained with." };
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Leave out images that cannot be decoded and list them, instead of stopping at the first one." };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON: model, out, label, classes, images, method, cacheHits, computed, seconds, skipped." };
        var device = DeviceArgument.Create();
        var command = new Command("add-class", "Add a class to a trained model from its images alone, without retraining (seconds).") { model, folder, label, output, cache, backbone, skipBad, json, device };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(console, parse.GetValue(model)!, parse.GetValue(folder)!, parse.GetValue(label)!, parse.GetValue(output)!, parse.GetValue(cache), parse.GetValue(backbone), parse.GetValue(skipBad), parse.GetValue(json), parse.GetValue(device)!, ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string modelPath, string folder, string label, string output, string? cacheDirectory, string? backboneName, bool skipBad, bool json, string device, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var provider = DeviceArgument.Resolve(console, device);
        if (string.IsNullOrWhiteSpace(label))
        {
            throw new CliException(ExitCode.Usage, "--label must name the new class; it was empty.");
        }

        using var model = CliInputs.LoadModel(modelPath);
        if (model.Classes.Contains(label, StringComparer.Ordinal))
        {
            throw new CliException(ExitCode.Usage, $"--label \"{label}\" is already one of the model's classes ({string.Join(", ", model.Classes)}). Pick another name, or retrain with the images added to that class's folder.");
        }

        CliInputs.RequireDirectory(folder, "Image folder");
        var paths = PredictCommand.ExpandImages([folder]);
        string outPath = TrainCommand.PrepareOutput(output);
        var backbone = backboneName is null ? null : CliInputs.ResolveBackbone(backboneName);
        Featurizer featurizer;
        try
        {
            featurizer = model.CreateFeaturizer(new FeaturizerOptions { LoggerFactory = console.LoggerFactory, BadImagePolicy = skipBad ? BadImagePolicy.Skip : BadImagePolicy.Fail, ExecutionProvider = provider }, backbone);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCode.BadBackbone, $"{ex.Message} (--backbone)", ex);
        }

        using (featurizer)
        {
            using var cache = cacheDirectory is null ? null : CliInputs.OpenCache(cacheDirectory, console.LoggerFactory);
            var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
            ClassAddition added;
            try
            {
                added = await model.AddClassAsync(label, paths.Select(p => ImageEntry.FromFile(p, label)), featurizer, store, ct).ConfigureAwait(false);
            }
            catch (InvalidImageException ex)
            {
                throw new CliException(ExitCode.BadImage, $"{ex.Message} Remove or replace the file, or pass --skip-bad-images to leave such files out.", ex);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ExitCode.NoImages, ex.Message, ex);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
            {
                throw new CliException(ExitCode.BadModel, $"Model \"{modelPath}\": {ex.Message}", ex);
            }

            cache?.Flush();
            using var bigger = added.Model;
            try
            {
                bigger.Save(outPath, cancellationToken: ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCode.OutputFailed, $"Cannot write the model to \"{output}\" (--out): {ex.Message}", ex);
            }

            var f = added.Featurization;
            string method = bigger.Manifest.AddedClasses[^1].Method;
            if (json)
            {
                Json.Write(console, new AddClassJson(Path.GetFullPath(modelPath), outPath, label, bigger.Classes, f.Features.Count, method, f.CacheHits, f.Computed, clock.Elapsed.TotalSeconds, f.Skipped.Select(k => new SkippedJson(k.Source, k.Reason)).ToList()));
                return (int)ExitCode.Success;
            }

            foreach (var skipped in f.Skipped)
            {
                console.WriteLine($"Skipped {skipped.Source}: {skipped.Reason}");
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Added class \"{label}\" from {f.Features.Count} images ({method}; {f.CacheHits} from the bottleneck cache) in {clock.Elapsed.TotalSeconds:F1} s: classes {string.Join(", ", bigger.Classes)}."));
            console.WriteLine($"Saved {outPath}");
            return (int)ExitCode.Success;
        }
    }
}
