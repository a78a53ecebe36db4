-- Neovim 0.11+: put this file in ~/.config/nvim/plugin/ (or source it). .pipe files get pipec's
-- language server through the built-in client; no plugin is needed.
vim.filetype.add({ extension = { pipe = "pipe" } })
vim.lsp.config("pipec", {
  cmd = { "pipec", "lsp" },
  filetypes = { "pipe" },
  root_markers = { ".git" },
})
vim.lsp.enable("pipec")
