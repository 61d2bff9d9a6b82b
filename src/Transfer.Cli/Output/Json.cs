using System.Text.Json;
using System.Text.Json.Serialization;

namespace Transfer.Cli.Output;

/// <summary>The <c>--json</c> writer: camelCase names (a stable interface, documented in docs/CLI.md), indented.</summary>
internal static class Json
{
    /// <summary>Gets the options for all <c>--json</c> output and for reading backbone descriptors.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes a value as JSON and a new line.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="console">The console.</param>
    /// <param name="value">The value.</param>
    public static void Write<T>(CliConsole console, T value) => console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
