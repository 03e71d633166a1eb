using Backprop.Cli.Runs;

namespace Backprop.Tests;

/// <summary>
/// One epoch of <c>backprop train</c> with its defaults (784-50-10, cross-entropy, autograd, seed 1, on the CPU), trained
/// in-process when a test of the MNIST collection first asks for it and shared by all of them: the run folder with its
/// checkpoint, metrics, plots and event file. Tests read it; a test that resumes or changes a run works on a copy
/// (<see cref="CopyTo"/>).
/// </summary>
public sealed class TrainedRun : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Lazy<TrainOutcome> _outcome;

    public TrainedRun() => _outcome = new(() =>
        TrainRun.Execute(new TrainRequest { Overrides = new TrainOverrides(Epochs: 1), DataDir = Repo.Data, Device = "cpu", OutDir = _dir.File("run") }, new SilentObserver()));

    /// <summary>The run as <see cref="TrainRun.Execute"/> returned it.</summary>
    internal TrainOutcome Outcome => _outcome.Value;

    /// <summary>The run's <c>checkpoint.ckpt</c>.</summary>
    public string Checkpoint => Outcome.Folder.Checkpoint;

    /// <summary>Copies the run folder's files (not its lock and pid files) into <paramref name="folder"/>; returns the copy's checkpoint.</summary>
    public string CopyTo(string folder)
    {
        var from = Outcome.Folder.Path;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith(".backprop.", StringComparison.Ordinal)))
        {
            var to = Path.Combine(folder, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return Path.Combine(folder, Path.GetFileName(Checkpoint));
    }

    public void Dispose() => _dir.Dispose();
}
