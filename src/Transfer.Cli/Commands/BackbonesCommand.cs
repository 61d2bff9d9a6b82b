using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SkiaSharp;
using Transfer.Backbones;
using Transfer.Cli.Output;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer backbones</c>: the built-in backbones, their input and feature sizes, and ms/image timed here.</summary>
internal static class BackbonesCommand
{
    private const int DefaultMeasureImages = 16;

    public static Command Create(CliConsole console)
    {
        var measure = new Option<int>("--measure") { Description = "Images featurized to time each backbone (after a warm-up); 0 to skip timing.", DefaultValueFactory = _ => DefaultMeasureImages };
        var json = new Option<bool>("--json") { Description = "Write the list as JSON: backbones[].name, available, width, height, featureLength, msPerImage." };
        var command = new Command("backbones", "List the built-in backbones with their input size, feature length and milliseconds per image measured on this machine.") { measure, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(console, parse.GetValue(measure), parse.GetValue(json), ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, int measure, bool json, CancellationToken ct)
    {
        if (measure < 0)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--measure must be 0 or more, was {measure}."));
        }

        var rows = new List<BackboneJson>();
        foreach (string name in Transfer.Backbones.Backbones.Names)
        {
            Backbone backbone;
            try
            {
                backbone = Transfer.Backbones.Backbones.ByName(name);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or ArgumentException)
            {
                rows.Add(new BackboneJson(name, false, 0, 0, 0, null, 0, OneLine(ex.Message)));
                continue;
            }

            double? ms = measure == 0 ? null : await MeasureAsync(backbone, measure, ct).ConfigureAwait(false);
            rows.Add(new BackboneJson(backbone.Name, true, backbone.Width, backbone.Height, backbone.FeatureLength, ms, measure, null));
        }

        if (json)
        {
            Json.Write(console, new BackbonesJson(rows));
        }
        else
        {
            console.WriteTable(
                ["name", "input", "features", "ms/image", "status"],
                rows.Select(r => (IReadOnlyList<string>)[
                    r.Name,
                    r.Available ? string.Create(CultureInfo.InvariantCulture, $"{r.Width}×{r.Height}") : "-",
                    r.Available ? r.FeatureLength.ToString(CultureInfo.InvariantCulture) : "-",
                    r.MsPerImage is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-",
                    r.Problem ?? "available"]),
                2, 3);
            if (measure > 0)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ms/image: featurizing {measure} generated {DefaultSide}×{DefaultSide} PNGs in batches after a warm-up, {Environment.ProcessorCount} cores. Any ONNX CNN can also be used with --backbone <file.onnx> and a descriptor <file>.json."));
            }
        }

        if (!rows.Any(r => r.Available))
        {
            // The list above says why for each; the exit code and stderr line say that nothing can featurize.
            throw new CliException(ExitCode.BadBackbone, $"No backbone is available: {rows[0].Problem}");
        }

        return (int)ExitCode.Success;
    }

    private const int DefaultSide = 256;

    private static async Task<double> MeasureAsync(Backbone backbone, int count, CancellationToken ct)
    {
        var entries = new List<ImageEntry>(count);
        for (int i = 0; i < count; i++)
        {
            entries.Add(ImageEntry.FromBytes(GeneratePng(i), i % 2 == 0 ? "a" : "b", $"generated-{i}.png"));
        }

        using var featurizer = new Featurizer(backbone);
        // Warm-up: session creation and the first run's allocations are not per-image costs.
        await featurizer.FeaturizeAsync(ImageSet.FromEntries(entries.Take(Math.Min(2, count))), null, null, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        await featurizer.FeaturizeAsync(ImageSet.FromEntries(entries), null, null, ct).ConfigureAwait(false);
        return clock.Elapsed.TotalMilliseconds / count;
    }

    private static byte[] GeneratePng(int seed)
    {
        using var bitmap = new SKBitmap(DefaultSide, DefaultSide, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < DefaultSide; y++)
        {
            for (int x = 0; x < DefaultSide; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(x + seed), (byte)(y * 3), (byte)((x ^ y) + (seed * 17))));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
