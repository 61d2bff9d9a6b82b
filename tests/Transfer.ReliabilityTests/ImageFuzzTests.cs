using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using SkiaSharp;
using Transfer.Images;
using Xunit.Abstractions;

namespace Transfer.ReliabilityTests;

/// <summary>
/// Property-based fuzzing of the image-loading entry point: real PNG/JPEG/GIF/BMP/WebP bytes mutated by bit flips,
/// truncations, splices and header-field edits. The only allowed failure is <see cref="InvalidImageException"/>; any
/// other exception fails (CsCheck shrinks it), and an input running longer than the per-input timeout fails as a hang.
/// </summary>
/// <remarks>
/// Bounded by <c>TRANSFER_FUZZ_INPUTS</c> (default 20,000) and <c>TRANSFER_FUZZ_SECONDS</c> (default 60), whichever
/// comes first; <c>TRANSFER_FUZZ_SEED</c> replays a CsCheck seed.
/// </remarks>
public sealed class ImageFuzzTests(ITestOutputHelper output)
{
    private const int Target = 16;
    private static readonly TimeSpan InputTimeout = TimeSpan.FromSeconds(20);

    // A mutated header may declare thousands of pixels a side; 16 MP (64 MiB a bitmap) keeps parallel fuzzing in memory.
    private static readonly ImagePreprocessing Preprocessing = ImagePreprocessing.Default with { MaxPixels = 1 << 24 };

    private static readonly (string Name, byte[] Bytes)[] Seeds = MakeSeeds();

    [Fact]
    public async Task DecodeToPlanes_MutatedImages_OnlyEverThrowInvalidImageException()
    {
        long maxInputs = Setting("TRANSFER_FUZZ_INPUTS", 20_000);
        long maxSeconds = Setting("TRANSFER_FUZZ_SECONDS", 60);
        string? seed = Environment.GetEnvironmentVariable("TRANSFER_FUZZ_SEED");
        var running = new ConcurrentDictionary<int, (long Started, FuzzCase Case)>();
        var hang = new TaskCompletionSource<FuzzCase>(TaskCreationOptions.RunContinuationsAsynchronously);
        long decoded = 0, refused = 0;
        var reasons = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();

        void Check(FuzzCase input)
        {
            if (clock.Elapsed.TotalSeconds >= maxSeconds)
            {
                return; // time budget spent: the remaining iterations are skipped, not counted
            }

            int thread = Environment.CurrentManagedThreadId;
            running[thread] = (Stopwatch.GetTimestamp(), input);
            try
            {
                var planes = new float[4 * Target * Target];
                ImageDecoder.DecodeToPlanes(input.Bytes, input.Describe(), Target, Target, Preprocessing, planes);
                Interlocked.Increment(ref decoded);
            }
            catch (InvalidImageException e)
            {
                Interlocked.Increment(ref refused);
                string reason = e.Reason.Split(' ', 4) is { Length: >= 3 } words ? string.Join(' ', words[..3]) : e.Reason;
                reasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
            }
            finally
            {
                running.TryRemove(thread, out _);
            }
        }

        using var stop = new CancellationTokenSource();
        var watchdog = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (_, (started, input)) in running)
                {
                    if (Stopwatch.GetElapsedTime(started) > InputTimeout)
                    {
                        hang.TrySetResult(input);
                    }
                }

                await Task.Delay(250, CancellationToken.None);
            }
        });

        var run = Task.Run(() => Generator().Sample(Check, seed: seed, iter: maxInputs, threads: Math.Max(2, Environment.ProcessorCount), print: c => c.Describe()));
        var first = await Task.WhenAny(run, hang.Task);
        await stop.CancelAsync();
        await watchdog;
        if (first == hang.Task)
        {
            var input = await hang.Task;
            string saved = Save(input);
            Assert.Fail($"Decoding hung for over {InputTimeout.TotalSeconds} s on {input.Describe()}; the input is saved at {saved}.");
        }

        await run; // rethrows CsCheck's shrunk failure: an exception other than InvalidImageException
        long total = decoded + refused;
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"fuzzed {total} inputs in {clock.Elapsed.TotalSeconds:F1} s ({total / clock.Elapsed.TotalSeconds:F0}/s): {decoded} decoded, {refused} refused with InvalidImageException; reasons: {string.Join("; ", reasons.OrderByDescending(r => r.Value).Select(r => $"{r.Key}… ×{r.Value}"))}");
        output.WriteLine(summary);
        File.WriteAllText(Path.Combine(Artifacts(), "fuzz-summary.txt"), summary + Environment.NewLine);
        Assert.True(total >= Math.Min(maxInputs, 200), $"Only {total} inputs ran: {summary}");
        Assert.True(decoded > 0 && refused > 0, $"The mutations should both keep some images decodable and break others: {summary}");
    }

    private static Gen<FuzzCase> Generator()
    {
        var seedIndex = Gen.Int[0, Seeds.Length - 1];
        var flips = seedIndex.SelectMany(s => Gen.Int[0, (Seeds[s].Bytes.Length * 8) - 1].Array[1, 16].Select(bits => Flip(s, bits)));
        var truncations = seedIndex.SelectMany(s => Gen.Int[0, Seeds[s].Bytes.Length - 1].Select(n => new FuzzCase(Seeds[s].Name, $"truncated to {n}", Seeds[s].Bytes[..n])));
        var splices = Gen.Select(seedIndex, seedIndex).SelectMany((a, b) => Gen.Select(Gen.Int[0, Seeds[a].Bytes.Length], Gen.Int[0, Seeds[b].Bytes.Length - 1]).Select((i, j) =>
            new FuzzCase(Seeds[a].Name, $"first {i} bytes + {Seeds[b].Name} from {j}", [.. Seeds[a].Bytes[..i], .. Seeds[b].Bytes[j..]])));
        uint[] interesting = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000, 65500];
        var headerEdits = seedIndex.SelectMany(s => Gen.Select(Gen.Int[0, Math.Min(256, Seeds[s].Bytes.Length) - 4], Gen.Int[0, interesting.Length - 1], Gen.Int[1, 4]).Select((at, v, width) => Edit(s, at, interesting[v], width)));
        var inserts = seedIndex.SelectMany(s => Gen.Select(Gen.Int[0, Seeds[s].Bytes.Length], Gen.Byte.Array[1, 64]).Select((at, junk) =>
            new FuzzCase(Seeds[s].Name, $"{junk.Length} bytes inserted at {at}", [.. Seeds[s].Bytes[..at], .. junk, .. Seeds[s].Bytes[at..]])));
        var flippedAndCut = flips.SelectMany(f => Gen.Int[0, f.Bytes.Length].Select(n => new FuzzCase(f.Seed, f.Mutation + $", truncated to {n}", f.Bytes[..n])));
        return Gen.Frequency((4, flips), (2, truncations), (1, splices), (3, headerEdits), (1, inserts), (1, flippedAndCut));
    }

    private static FuzzCase Flip(int seed, int[] bits)
    {
        var bytes = (byte[])Seeds[seed].Bytes.Clone();
        foreach (int bit in bits)
        {
            bytes[bit >> 3] ^= (byte)(1 << (bit & 7));
        }

        return new FuzzCase(Seeds[seed].Name, $"bits flipped at {string.Join(',', bits)}", bytes);
    }

    private static FuzzCase Edit(int seed, int at, uint value, int width)
    {
        var bytes = (byte[])Seeds[seed].Bytes.Clone();
        for (int i = 0; i < width; i++)
        {
            bytes[at + i] = (byte)(value >> (8 * (width - 1 - i))); // big-endian, as PNG and JPEG headers are
        }

        return new FuzzCase(Seeds[seed].Name, $"bytes {at}..{at + width - 1} set to 0x{value:X}", bytes);
    }

    private static (string, byte[])[] MakeSeeds()
    {
        var random = new Random(11);
        SKColor Noise(int x, int y) => new((byte)random.Next(256), (byte)(x * 8), (byte)(y * 8), 255);
        return
        [
            ("png", HostileFiles.Encode(24, 24, Noise, SKEncodedImageFormat.Png)),
            ("png-alpha", HostileFiles.Encode(16, 16, (x, y) => new SKColor(200, 10, 10, (byte)(x * 16)), SKEncodedImageFormat.Png)),
            ("png-16bit", HostileFiles.RawPng(12, 12, 16, 2, (x, y) => [(ushort)(x * 5000), (ushort)(y * 5000), 1234])),
            ("png-palette", HostileFiles.RawPng(12, 12, 8, 3, (x, _) => [(ushort)(x % 2)], [255, 0, 0, 0, 0, 255], [255, 100])),
            ("png-gray-alpha", HostileFiles.RawPng(12, 12, 8, 4, (x, y) => [(ushort)(x * 20), (ushort)(y * 20)])),
            ("png-quickstart", File.ReadAllBytes(TestData.Images("train", "Bag", 1)[0])),
            ("jpeg", HostileFiles.Encode(24, 24, Noise, SKEncodedImageFormat.Jpeg, 80)),
            ("jpeg-exif", HostileFiles.WithExifOrientation(HostileFiles.Jpeg(16, 8), 6)),
            ("jpeg-cmyk", File.ReadAllBytes(HostileFiles.TestFile("cmyk.jpg"))),
            ("gif-animated", HostileFiles.AnimatedGif(8, 8, HostileFiles.Red, HostileFiles.Blue)),
            ("bmp", HostileFiles.Bmp(12, 12, Noise)),
            ("webp-lossy", HostileFiles.Encode(24, 24, Noise, SKEncodedImageFormat.Webp, 75)),
            ("webp-lossless", HostileFiles.Encode(16, 16, Noise, SKEncodedImageFormat.Webp, 100)),
        ];
    }

    private static long Setting(string name, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v > 0 ? v : fallback;

    private static string Artifacts()
    {
        string dir = Environment.GetEnvironmentVariable("TRANSFER_ARTIFACTS") is { Length: > 0 } a ? a : Path.Combine(Path.GetTempPath(), "transfer-artifacts");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Save(FuzzCase input)
    {
        string path = Path.Combine(Artifacts(), $"fuzz-hang-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, input.Bytes);
        return path;
    }

    /// <summary>One fuzz input: the seed it came from, what was done to it, and the bytes.</summary>
    private sealed record FuzzCase(string Seed, string Mutation, byte[] Bytes)
    {
        public string Describe() => $"{Seed} ({Mutation}; {Bytes.Length} bytes: {Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 48)))}…)";
    }
}
