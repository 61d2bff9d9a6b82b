using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Transfer.Hosting.Tests;

/// <summary>A fresh ASP.NET Core app whose only Transfer setup is the hosting package's three lines, on loopback.</summary>
public sealed class LoopbackServiceTests
{
    [Fact]
    public async Task ModelFileReplacedUnderLoad_NoRequestIsLost_AndTheNewModelServes()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.zip");
        TinyModels.Save(path, classes: 2);
        string three = Path.Combine(dir.Path, "three.zip");
        TinyModels.Save(three, classes: 3);

        await using var app = CreateApp(["--Transfer:ModelPath=" + path, "--Transfer:PoolSize=2", "--Transfer:ReloadPollInterval=00:00:00.1"]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        byte[] png = TinyModels.Png(1);

        // Four clients post images without pause while the file is replaced (atomically, by rename) twice.
        using var stop = new CancellationTokenSource();
        int ok = 0;
        var failures = new List<string>();
        var classCounts = new HashSet<int>();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/predict", new ByteArrayContent(png));
                string body = await response.Content.ReadAsStringAsync();
                lock (failures)
                {
                    if (response.IsSuccessStatusCode)
                    {
                        ok++;
                        classCounts.Add(JsonDocument.Parse(body).RootElement.GetProperty("scores").GetArrayLength());
                    }
                    else
                    {
                        failures.Add($"{(int)response.StatusCode}: {body}");
                    }
                }
            }
        })).ToArray();

        var pool = app.Services.GetRequiredService<ReloadingPredictorPool>();
        await Task.Delay(300);
        string copy = Path.Combine(dir.Path, "copy.zip");
        File.Copy(three, copy);
        File.Move(copy, path, overwrite: true);
        await WaitFor(() => pool.Status.Generation == 2);
        await Task.Delay(300);
        TinyModels.Save(copy, classes: 2);
        File.Move(copy, path, overwrite: true);
        await WaitFor(() => pool.Status.Generation == 3);
        await Task.Delay(300);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(ok > 20, $"only {ok} requests ran");
        Assert.Equal([2, 3], classCounts.Order());
        using var health = await client.GetAsync("/health");
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    [Fact]
    public async Task MissingModel_StopsTheStart_WithTheSettingToFix()
    {
        await using var app = CreateApp(["--Transfer:ModelPath=/no/such/model.zip"]);
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Transfer:ModelPath \"/no/such/model.zip\" does not exist", e.Message, StringComparison.Ordinal);
    }

    private static WebApplication CreateApp(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        // The three lines an app needs:
        builder.Services.AddTransferPredictorPool(builder.Configuration);
        var app = builder.Build();
        app.MapPost("/predict", async (HttpRequest request, ReloadingPredictorPool pool) => await pool.PredictAsync(await ReadBody(request)));

        app.MapHealthChecks("/health");
        return app;
    }

    private static async Task<byte[]> ReadBody(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the model was not reloaded within 30 s");
            await Task.Delay(50);
        }
    }
}
