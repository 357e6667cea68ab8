#compdef awsmon

_awsmon_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _AWSMON_COMPLETE=complete_zsh awsmon)
}

compdef _awsmon_completion awsmon
