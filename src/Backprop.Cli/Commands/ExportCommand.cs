using System.CommandLine;
using System.Reflection;
using Backprop.Cli.Runs;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop export CHECKPOINT --format pt|safetensors|onnx [--out FILE]</c>: the trained weights in a format PyTorch,
/// safetensors readers or ONNX runtimes take as they are.
/// </summary>
internal static class ExportCommand
{
    private static readonly Dictionary<string, ExportFormat> Formats = new()
    {
        ["pt"] = ExportFormat.Pt,
        ["safetensors"] = ExportFormat.Safetensors,
        ["onnx"] = ExportFormat.Onnx,
    };

    public static Command Create(CliConsole io)
    {
        var checkpoint = Options.PathArgument("CHECKPOINT", "A checkpoint.ckpt written by backprop train (or a .pt/.safetensors state_dict)");
        var format = new Option<string>("--format") { Description = "pt: torch.load's state_dict; safetensors; onnx: a graph with input (N, 784) and output logits (N, 10)", HelpName = "pt|safetensors|onnx", Required = true };
        format.AcceptOnlyFromAmong([.. Formats.Keys]);
        var output = Options.PathOption("--out", "Where to write [default: next to the checkpoint, its name with the format's extension]", "FILE");
        output.Aliases.Add("-o");
        var command = new Command("export", "Export a checkpoint's model for PyTorch (nn.Sequential state_dict: .pt, .safetensors) or ONNX (.onnx)")
        {
            checkpoint, format, output,
        };
        command.SetAction(p => Run(io, p.GetValue(checkpoint)!, Formats[p.GetValue(format)!], p.GetValue(output)));
        return command;
    }

    private static int Run(CliConsole io, string file, ExportFormat format, string? output)
    {
        var weights = ModelWeights.Load(file);
        output ??= Path.ChangeExtension(Path.GetFullPath(file), format.ToString().ToLowerInvariant());
        if (string.Equals(Path.GetFullPath(output), Path.GetFullPath(file), StringComparison.Ordinal))
        {
            io.Error.WriteLine($"error: {output} is the file being exported; pass another path with --out.");
            return ExitCodes.Failed;
        }
        if (format == ExportFormat.Onnx && OnnxModel.TooLarge(weights.Tensors) is { } tooLarge)
        {
            io.Error.WriteLine($"error: will not write {output}: {tooLarge}.");
            return ExitCodes.Failed;
        }
        // An existing file is replaced only when it already holds an export of the lesson's model in this format (read
        // and checked, not a signature): anything else, a .docx or someone's other model, is refused.
        Func<Stream, bool> holds = format == ExportFormat.Onnx ? OnnxModel.Holds : f => StateDictFile.Holds(f, format);
        if (!OutputFile.Check(io, output, "--out", holds, [file])) return ExitCodes.Failed;
        var version = typeof(ExportCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        if (!OutputFile.Write(io, output, "--out", () =>
            {
                if (format == ExportFormat.Onnx) OnnxModel.Save(output, weights.Tensors, version);
                else StateDictFile.Save(output, weights.Tensors, format);
            }))
            return ExitCodes.Failed;
        io.Out.WriteLine($"wrote {Shown.Path(output)}: {weights.Description} as {Describe(format, weights.Hidden)}");
        return ExitCodes.Ok;
    }

    private static string Describe(ExportFormat format, HiddenLayers hidden) => format switch
    {
        ExportFormat.Onnx => $"ONNX (opset {OnnxModel.Opset}): {OnnxModel.Input} (N, 784) float32 -> {string.Join(" -> ", Enumerable.Repeat("Gemm -> Relu", hidden.Count))} -> Gemm -> {OnnxModel.Output} (N, 10)",
        _ => $"the state_dict of {hidden.Module} ({format.ToString().ToLowerInvariant()}; keys {string.Join(", ", hidden.StateDict().Select(k => k.Name))})",
    };
}
