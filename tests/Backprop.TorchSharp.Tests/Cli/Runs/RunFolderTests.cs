using Backprop.Cli.Runs;

namespace Backprop.Tests.Cli.Runs;

public sealed class RunFolderTests
{
    [Fact]
    public void Creates_the_folder_holds_only_its_lock_and_leaves_nothing_behind()
    {
        using var dir = new TempDir();

        var run = RunFolder.Prepare(Path.Combine(dir.Path, "a", "b"));

        Assert.True(Directory.Exists(run.Path));
        Assert.Equal([".backprop.lock", ".backprop.pid"], Directory.GetFileSystemEntries(run.Path).Select(Path.GetFileName).Order());
        File.WriteAllText(run.Metrics, "");
        run.Dispose();
        Assert.Equal(["metrics.jsonl"], Directory.GetFileSystemEntries(run.Path).Select(Path.GetFileName));
        Assert.Equal(Path.Combine(dir.Path, "a", "b", "checkpoint.ckpt"), run.Checkpoint);
    }

    [Fact]
    public void Only_a_folder_it_created_and_left_empty_is_removed()
    {
        using var dir = new TempDir();
        var made = RunFolder.Prepare(dir.File("made"));
        var used = RunFolder.Prepare(dir.File("used"));
        File.WriteAllText(used.Metrics, "");
        var existing = RunFolder.Prepare(dir.Path);

        made.Dispose();
        used.Dispose();
        existing.Dispose();

        Assert.False(Directory.Exists(made.Path));
        Assert.True(File.Exists(used.Metrics));
        Assert.True(Directory.Exists(dir.Path));
        Assert.False(existing.Created);
    }

    [Fact]
    public void A_path_that_is_a_file_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("f"), "x");

        var e = Assert.Throws<RunFolderException>(() => RunFolder.Prepare(dir.File("f")));
        Assert.Contains(dir.File("f"), e.Message);
        Assert.Contains("--out", e.Message);
    }

    [Fact]
    public void A_folder_under_a_file_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("f"), "x");

        Assert.Throws<RunFolderException>(() => RunFolder.Prepare(Path.Combine(dir.File("f"), "sub")));
    }

    [Fact]
    public void The_default_is_a_timestamped_folder_under_runs() =>
        Assert.Equal(Path.Combine("/x", "runs", "20250102-030405"), RunFolder.Default("/x", new DateTime(2025, 1, 2, 3, 4, 5)));
}
